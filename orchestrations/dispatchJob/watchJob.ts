import type { OrchestrationContext, Task } from 'durable-functions';
import { pollDelayMs } from '../../shared/policy/pollSchedule';
import type { Step } from './callWithRetry';
import {
  DispatchJobActivity,
  type CancelRequest,
  type AttemptProgress,
  type DispatchJobInput,
  type JobRef,
  type JobStatusResult,
  type WatchState,
} from './contracts';
import type { AttemptOutcome } from './decideSettlement';
import { interpretJobStatus } from './interpretJobStatus';
import { snapshotJobLogIfDue } from './snapshotJobLog';
import type { StatusBoard } from './statusBoard';

/** Returned when this execution handed over to the next one (continueAsNew) before the job ended. */
export const CONTINUED_AS_NEW = 'continued-as-new';

/**
 * Polls the job at growing intervals until it ends, the deadline passes or an operator cancels. Every execution
 * stops after `pollsPerExecution` polls and continues as new, so history stays bounded however long the job
 * runs. The cancel event races each poll timer, so a cancel is honoured at once, and whichever the replay saw
 * first (the job's end or the cancel) is the one outcome; a cancel raised before the watch began (while the
 * job was being created) is buffered by Durable and wins the first race.
 */
export function* watchJob(
  context: OrchestrationContext,
  input: DispatchJobInput,
  started: WatchState,
  board: StatusBoard,
  cancel: Task,
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
    const timer = context.df.createTimer(
      new Date(nowMs() + pollDelayMs(watch.polls, route.policy.poll, remaining)),
    );
    const first: unknown = yield context.df.Task.any([timer, cancel]);
    if (first === cancel) {
      timer.cancel();
      return { watch, target: watch.target, outcome: cancelledOutcome(cancel) };
    }
    const job: JobRef = { name: board.containerGroup, target: watch.target, route: route.name };
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

/** The outcome of a cancel; `by` only when the payload carries a text one (it comes from outside). */
export function cancelledOutcome(cancel: Task): AttemptOutcome {
  const by = (cancel.result as CancelRequest | null | undefined)?.by;
  return typeof by === 'string' && by !== ''
    ? { kind: 'cancelled', by: by.slice(0, 200) }
    : { kind: 'cancelled' };
}
