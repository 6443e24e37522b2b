import type { OrchestrationContext, Task } from 'durable-functions';
import { acquireSlot, releaseSlot } from '../admission/acquireSlot';
import { CREATE_RETRY, waitBeforeRetry, type Step } from './callWithRetry';
import {
  DispatchJobActivity,
  type ActivityFailure,
  type AttemptProgress,
  type CreateJobInput,
  type CreateJobResult,
  type DispatchJobInput,
} from './contracts';
import { createRequest, TriedTargets } from './createRequest';
import type { StatusBoard } from './statusBoard';
import { cancelledOutcome } from './watchJob';

/** ARM's throttling answers: like a full quota, they mean "not now, here", not "this attempt failed". */
const THROTTLED_CODES = new Set([
  'resourcerequeststhrottled',
  'subscriptionrequeststhrottled',
  'toomanyrequests',
  'http429',
]);

/** A capacity/quota refusal or throttling: give the slot back and wait again, without using an attempt. */
export function isRefusal(failure: ActivityFailure): boolean {
  return failure.class === 'capacity' || THROTTLED_CODES.has((failure.code ?? '').toLowerCase());
}

/**
 * With admission: wait for a slot (phase WaitingForCapacity), then create the job on the target the slot is for.
 * ARM refusing the create anyway (quota, throttling) gives the slot back and waits again, keeping the attempt's
 * place in the queue and its attempt; other transient errors are retried on that target, then end the attempt as
 * before. The deadline (policy.timeout) starts when the slot is granted. The slot stays held (progress.slot)
 * until the group is deleted. A cancel while waiting withdraws the request: the attempt settles Cancelled with no
 * job created.
 */
export function* createWithAdmission(
  context: OrchestrationContext,
  input: DispatchJobInput,
  board: StatusBoard,
  cancel?: Task,
): Step<AttemptProgress> {
  const { route } = input;
  const id = context.df.instanceId;
  const now = (): number => context.df.currentUtcDateTime.getTime();
  const arrivedAt = now();
  const tried = new TriedTargets();
  for (let ticket = 1; ; ticket++) {
    const slot = yield* acquireSlot(
      context,
      {
        route: route.name,
        targets: route.targets,
        cores: route.job.cpu,
        priority: route.policy.priority,
        ...(route.policy.concurrency !== undefined ? { concurrency: route.policy.concurrency } : {}),
        arrivedAt,
        capacityWaitMs: route.policy.capacityWaitMs,
        ticket,
      },
      (info) => board.publish({ phase: 'WaitingForCapacity', admission: info }),
      cancel,
    );
    if (!slot.ok && slot.cancelled && cancel)
      return { outcome: cancelledOutcome(cancel), ...tried.abandonedBesides() };
    if (!slot.ok) {
      const target = board.status.admission?.target ?? route.targets[0]?.location ?? 'no target';
      return {
        outcome: {
          kind: 'capacity-wait-expired',
          waitedMs: slot.waitedMs,
          capacityWait: route.policy.capacityWait,
          target,
        },
        ...tried.abandonedBesides(),
      };
    }
    const target = route.targets[slot.grant.targetIndex]!;
    tried.add(target);
    const grantedAt = new Date(now()).toISOString();
    board.publish({
      phase: 'Creating',
      deadline: new Date(now() + route.policy.timeoutMs).toISOString(),
      ...(board.status.admission ? { admission: { ...board.status.admission, grantedAt } } : {}),
    });
    const request: CreateJobInput = {
      ...createRequest(context, input, board, target),
      // For the capacity-wait metric, recorded by the activity once the create succeeds.
      capacityWaitMs: now() - arrivedAt,
    };
    for (let tryNo = 1; ; tryNo++) {
      const result = (yield context.df.callActivity(
        DispatchJobActivity.createJob,
        request,
      )) as CreateJobResult;
      if (result.ok) {
        const { created } = result;
        board.publish({ phase: 'Watching', target: created.target });
        const watch = {
          target: created.target,
          deadline: board.status.deadline,
          polls: 0,
          execution: 1,
          reused: created.reused,
          slot: { ticket },
        };
        return { watch, target: created.target, slot: { ticket }, ...tried.abandonedBesides(target) };
      }
      const message = `${target.location}: ${result.message}`;
      if (result.class === 'permanent' || result.class === 'invalid-event' || result.class === 'config') {
        // A half-created group may exist: clean-up deletes it, then the slot is released.
        const reason = result.reason ?? 'PermanentError';
        return {
          target,
          slot: { ticket },
          outcome: { kind: 'permanent', reason, message },
          ...tried.abandonedBesides(target),
        };
      }
      if (isRefusal(result)) {
        const retryAfter = result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {};
        yield* releaseSlot(context, { id, ticket, refused: { ...retryAfter, message: result.message } });
        break;
      }
      if (tryNo >= CREATE_RETRY.tries) {
        yield* releaseSlot(context, { id, ticket });
        return {
          outcome: {
            kind: 'create-failed',
            capacity: false,
            message: `could not create the job: ${message}`,
          },
          ...tried.abandonedBesides(),
        };
      }
      yield* waitBeforeRetry(context, CREATE_RETRY, tryNo, result.retryAfterMs);
    }
  }
}
