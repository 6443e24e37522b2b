import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { JobProvider, JobSpec, JobStatus, JobTarget } from '../adapters/aci/jobProvider';
import type { ResolvedRoute } from '../shared/routes/resolvedRoute';

/*
 * The baseline: the "monitor" pattern as the Durable Functions docs show it: a fixed-interval poll loop under an
 * expiry, in ONE execution (no continueAsNew), so every poll adds to the history that every later episode replays.
 *
 *   while (now < expiry) { status = yield callActivity('getStatus'); if (done) break; yield createTimer(now + 10 s) }
 *
 * Creating the job is one activity up front, so both orchestrators do the same work against the same provider.
 */

export const NAIVE_MONITOR_ORCHESTRATOR = 'benchNaiveMonitor';
export const NaiveMonitorActivity = {
  startJob: 'benchNaiveMonitor_startJob',
  getStatus: 'benchNaiveMonitor_getStatus',
} as const;

/** The docs' fixed polling interval. */
export const NAIVE_POLL_INTERVAL_MS = 10_000;

export interface NaiveMonitorInput {
  spec: JobSpec;
  target: JobTarget;
  /** ISO-8601: give up watching at this time. */
  expiry: string;
}

export interface NaiveMonitorOutput {
  outcome: 'Succeeded' | 'Failed' | 'Expired';
  exitCode?: number;
  polls: number;
}

export function* naiveMonitorOrchestrator(
  context: OrchestrationContext,
): Generator<Task, NaiveMonitorOutput, unknown> {
  const input = context.df.getInput<NaiveMonitorInput>();
  const expiry = Date.parse(input.expiry);
  yield context.df.callActivity(NaiveMonitorActivity.startJob, input);
  let polls = 0;
  while (context.df.currentUtcDateTime.getTime() < expiry) {
    const status = (yield context.df.callActivity(NaiveMonitorActivity.getStatus, {
      name: input.spec.name,
      target: input.target,
    })) as JobStatus;
    polls++;
    if (status.state === 'Succeeded' || status.state === 'Failed') {
      return {
        outcome: status.state,
        ...(status.exitCode !== undefined ? { exitCode: status.exitCode } : {}),
        polls,
      };
    }
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + NAIVE_POLL_INTERVAL_MS));
  }
  return { outcome: 'Expired', polls };
}

export interface NaiveMonitorActivities {
  startJob(input: NaiveMonitorInput): Promise<void>;
  getStatus(input: { name: string; target: JobTarget }): Promise<JobStatus>;
}

export function createNaiveMonitorActivities(provider: JobProvider): NaiveMonitorActivities {
  return {
    async startJob(input) {
      await provider.create(input.spec, input.target);
    },
    getStatus(input) {
      return provider.status(input.name, input.target);
    },
  };
}

/**
 * Registers the naive monitor's orchestration and activities with the app (inside the bench's handler capture),
 * over `provider`: the one registration every bench that runs the naive monitor shares.
 */
export function registerNaiveMonitor(provider: JobProvider): void {
  const naive = createNaiveMonitorActivities(provider);
  df.app.orchestration(NAIVE_MONITOR_ORCHESTRATOR, naiveMonitorOrchestrator);
  df.app.activity(NaiveMonitorActivity.startJob, {
    handler: (input: unknown) => naive.startJob(input as NaiveMonitorInput),
  });
  df.app.activity(NaiveMonitorActivity.getStatus, {
    handler: (input: unknown) => naive.getStatus(input as { name: string; target: JobTarget }),
  });
}

/**
 * What a bench hands the naive (or competent) monitor for one job of `route`: the job as the dispatcher would
 * create it (event inline, no secrets), and the route's timeout from `startedAt` as its expiry.
 */
export function monitorInput(
  route: ResolvedRoute,
  job: { name: string; instanceId: string; eventId: string; eventJson: string },
  target: JobTarget,
  startedAt: number,
): NaiveMonitorInput {
  const spec: JobSpec = {
    name: job.name,
    instanceId: job.instanceId,
    route: route.name,
    eventId: job.eventId,
    attempt: 1,
    image: route.job.image,
    cpu: route.job.cpu,
    memoryInGB: route.job.memoryInGB,
    env: {},
    secureEnv: {},
    eventDelivery: 'env',
    eventJson: job.eventJson,
  };
  return { spec, target, expiry: new Date(startedAt + route.policy.timeoutMs).toISOString() };
}
