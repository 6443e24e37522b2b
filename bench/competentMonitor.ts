import type { OrchestrationContext, Task } from 'durable-functions';
import type { JobStatus } from '../adapters/aci/jobProvider';
import { NaiveMonitorActivity, type NaiveMonitorInput, type NaiveMonitorOutput } from './naiveMonitor';

/*
 * The second baseline: the monitor a careful user would write. A fixed 30 s poll (what Container Apps Jobs and
 * KEDA use) and continueAsNew after every poll, so history never grows; it shares the naive monitor's activities.
 */

export const COMPETENT_MONITOR_ORCHESTRATOR = 'benchCompetentMonitor';
export const COMPETENT_POLL_INTERVAL_MS = 30_000;

export type CompetentMonitorInput = NaiveMonitorInput & { started?: boolean; polls?: number };

export function* competentMonitorOrchestrator(
  context: OrchestrationContext,
): Generator<Task, NaiveMonitorOutput | undefined, unknown> {
  const input = context.df.getInput<CompetentMonitorInput>();
  if (!input.started) yield context.df.callActivity(NaiveMonitorActivity.startJob, input);
  const now = context.df.currentUtcDateTime.getTime();
  const polls = input.polls ?? 0;
  if (now >= Date.parse(input.expiry)) return { outcome: 'Expired', polls };
  yield context.df.createTimer(new Date(now + COMPETENT_POLL_INTERVAL_MS));
  const status = (yield context.df.callActivity(NaiveMonitorActivity.getStatus, {
    name: input.spec.name,
    target: input.target,
  })) as JobStatus;
  if (status.state === 'Succeeded' || status.state === 'Failed') {
    return {
      outcome: status.state,
      ...(status.exitCode !== undefined ? { exitCode: status.exitCode } : {}),
      polls: polls + 1,
    };
  }
  context.df.continueAsNew({ ...input, started: true, polls: polls + 1 });
  return undefined;
}
