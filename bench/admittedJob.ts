import type { OrchestrationContext, Task } from 'durable-functions';
import { acquireSlot, releaseSlot } from '../orchestrations/admission/acquireSlot';
import {
  DispatchJobActivity,
  type CreateJobInput,
  type CreateJobResult,
  type JobRef,
  type JobStatusResult,
} from '../orchestrations/dispatchJob/contracts';
import { containerGroupNameFor } from '../shared/naming/containerGroupName';
import { pollDelayMs } from '../shared/policy/pollSchedule';
import type { ResolvedRoute } from '../shared/routes/resolvedRoute';

/**
 * The dispatch steps with admission in front, over the real dispatchJob activities: wait for a slot, create (a
 * refused create gives the slot back and waits again, no attempt used), watch with the route's poll schedule,
 * delete, release. It stands in for the dispatch orchestration in the admission benchmark.
 */
export const ADMITTED_JOB_ORCHESTRATOR = 'benchAdmittedJob';

export interface AdmittedJobInput {
  route: ResolvedRoute;
  event: { id: string; type: string; source: string };
  eventJson: string;
}

export type AdmittedJobOutcome = 'Succeeded' | 'CapacityExhausted' | 'Failed';

export function* admittedJobOrchestrator(
  context: OrchestrationContext,
): Generator<Task, AdmittedJobOutcome, unknown> {
  const { route, event, eventJson } = context.df.getInput<AdmittedJobInput>();
  const id = context.df.instanceId;
  const name = containerGroupNameFor(id);
  const now = (): number => context.df.currentUtcDateTime.getTime();
  const arrivedAt = now();
  let ticket = 1;
  let job: JobRef | undefined;
  while (!job) {
    const slot = yield* acquireSlot(context, {
      route: route.name,
      targets: route.targets,
      cores: route.job.cpu,
      priority: route.policy.priority,
      ...(route.policy.concurrency !== undefined ? { concurrency: route.policy.concurrency } : {}),
      arrivedAt,
      capacityWaitMs: route.policy.capacityWaitMs,
      ticket,
    });
    if (!slot.ok) return 'CapacityExhausted';
    const target = route.targets[slot.grant.targetIndex]!;
    const request: CreateJobInput = {
      name,
      instanceId: id,
      route: route.name,
      eventId: event.id,
      attempt: 1,
      job: route.job,
      eventJson,
      target,
    };
    const created = (yield context.df.callActivity(
      DispatchJobActivity.createJob,
      request,
    )) as CreateJobResult;
    if (created.ok) job = { name, target };
    else if (created.class === 'capacity') {
      yield* releaseSlot(context, {
        id,
        ticket,
        refused: { ...(created.retryAfterMs !== undefined ? { retryAfterMs: created.retryAfterMs } : {}) },
      });
      ticket++;
    } else return 'Failed';
  }
  for (let polls = 0; ; polls++) {
    yield context.df.createTimer(
      new Date(now() + pollDelayMs(polls, route.policy.poll, route.policy.timeoutMs)),
    );
    const status = (yield context.df.callActivity(DispatchJobActivity.getJobStatus, job)) as JobStatusResult;
    if (status.ok && (status.status.state === 'Succeeded' || status.status.state === 'Failed')) break;
  }
  yield context.df.callActivity(DispatchJobActivity.deleteJob, job);
  yield* releaseSlot(context, { id, ticket });
  return 'Succeeded';
}
