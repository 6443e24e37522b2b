import type { OrchestrationContext } from 'durable-functions';
import { pollDelayMs } from '../../shared/policy/pollSchedule';
import type { Step } from './callWithRetry';
import {
  DispatchJobActivity,
  type AttemptProgress,
  type DispatchJobInput,
  type JobRef,
  type JobStatusResult,
  type WatchState,
} from './contracts';
import { interpretJobStatus } from './interpretJobStatus';
import { snapshotJobLogIfDue } from './snapshotJobLog';
import type { StatusBoard } from './statusBoard';

/** Returned when this execution handed over to the next one (continueAsNew) before the job ended. */
export const CONTINUED_AS_NEW = 'continued-as-new';

/**
 * Polls the job at growing intervals until it ends or the deadline passes. Every execution stops after
 * `pollsPerExecution` polls and continues as new, so history stays bounded however long the job runs.
 */
export function* watchJob(
  context: OrchestrationContext,
  input: DispatchJobInput,
  started: WatchState,
  board: StatusBoard,
): Step<AttemptProgress | typeof CONTINUED_AS_NEW> {
  const { route } = input;
  const nowMs = (): number => context.df.currentUtcDateTime.getTime();
  const deadlineMs = Date.parse(started.deadline);
  let watch = started;
  for (let executionPolls = 1; ; executionPolls++) {
    const remaining = deadlineMs - nowMs();
    if (remaining <= 0) {
      return { watch, target: watch.target, outcome: { kind: 'timed-out', timeout: route.policy.timeout } };
    }
    // Clipped to the deadline, so one timer per poll races the deadline with nothing left to cancel.
    yield context.df.createTimer(new Date(nowMs() + pollDelayMs(watch.polls, route.policy.poll, remaining)));
    const job: JobRef = { name: board.containerGroup, target: watch.target };
    const result = (yield context.df.callActivity(DispatchJobActivity.getJobStatus, job)) as JobStatusResult;
    watch = { ...watch, polls: watch.polls + 1 };
    const outcome = interpretJobStatus(result);
    const exitCode = outcome?.kind === 'exited' ? outcome.exitCode : undefined;
    board.publish({ polls: watch.polls, ...(exitCode !== undefined ? { exitCode } : {}) });
    if (outcome) return { watch, target: watch.target, outcome };
    watch = yield* snapshotJobLogIfDue(context, input, watch, board);
    if (executionPolls >= input.pollsPerExecution) {
      const next: DispatchJobInput = { ...input, watch: { ...watch, execution: watch.execution + 1 } };
      context.df.continueAsNew(next);
      return CONTINUED_AS_NEW;
    }
  }
}
