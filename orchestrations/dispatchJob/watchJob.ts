import type { OrchestrationContext, Task } from 'durable-functions';
import { pollDelayMs } from '../../shared/policy/pollSchedule';
import type { Step } from './callWithRetry';
import { readJobStatus } from './readJobStatus';
import {
  DispatchJobActivity,
  JOB_CALLBACK_EVENT,
  type CancelRequest,
  type AttemptProgress,
  type DispatchJobInput,
  type JobCallbackData,
  type JobStatusRequest,
  type JobStatusResult,
  type WatchState,
} from './contracts';
import type { AttemptOutcome } from './decideSettlement';
import { interpretJobStatus } from './interpretJobStatus';
import { snapshotJobLogIfDue } from './snapshotJobLog';
import type { StatusBoard } from './statusBoard';

/** Returned when this execution handed over to the next one (continueAsNew) before the job ended. */
export const CONTINUED_AS_NEW = 'continued-as-new';

/** After a callback, how long the status activity re-checks a container that is still stopping. */
export const CALLBACK_EXIT_WAIT_MS = 3000;
/** A job still running after its callback is re-checked from this interval, doubling up to the route's max. */
export const CALLBACK_RECHECK = { initialMs: 5000 } as const;

/**
 * Polls the job until it ends, the deadline passes or an operator cancels. Poll routes poll at growing
 * intervals; callback routes wait for the job's callback and poll only at the fallback interval. Every execution
 * stops after `pollsPerExecution` polls and continues as new, so history stays bounded however long the job runs.
 * The cancel event races each wait, so a cancel is honoured at once, and whichever the replay saw first (the
 * job's end or the cancel) is the one outcome; a cancel raised before the watch began (while the job was being
 * created) is buffered by Durable and wins the first race.
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
  const byCallback = route.completion === 'callback';
  // One wait per execution, raced against each poll timer: a second wait for the same name would leave the
  // first one open to swallow the event.
  const callback =
    byCallback && !started.callback ? context.df.waitForExternalEvent(JOB_CALLBACK_EVENT) : undefined;
  let watch = started;
  for (let executionPolls = 1; ; executionPolls++) {
    const remaining = deadlineMs - nowMs();
    if (remaining <= 0) {
      // A job that exited just before the deadline (or whose last polls failed) settles by its exit code.
      const last = yield* finalStatusRead(context, board.containerGroup, watch.target, route.name);
      const outcome = last ?? { kind: 'timed-out', timeout: route.policy.timeout };
      return { watch, target: watch.target, outcome };
    }
    // Clipped to the deadline, so one timer per poll races the deadline with nothing left to cancel.
    const delayMs = nextPollDelayMs(watch, input, remaining);
    const called = yield* waitForCheck(context, delayMs, callback, cancel);
    if (called === CANCELLED) return { watch, target: watch.target, outcome: cancelledOutcome(cancel) };
    if (called) {
      watch = { ...watch, callback: { ...called, atPoll: watch.polls } };
      board.publish({ callback: 'received' });
    }
    const request: JobStatusRequest = {
      name: board.containerGroup,
      target: watch.target,
      route: route.name,
      ...(called ? { awaitExitMs: CALLBACK_EXIT_WAIT_MS } : {}),
    };
    const result = (yield context.df.callActivity(
      DispatchJobActivity.getJobStatus,
      request,
    )) as JobStatusResult;
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

/**
 * Poll routes: growing from the route's initial interval. Callback routes: the fallback interval (a safety net for
 * jobs killed before they could call back), except briefly after a callback, while the job is still stopping.
 */
function nextPollDelayMs(watch: WatchState, input: DispatchJobInput, remaining: number): number {
  const { poll } = input.route.policy;
  if (input.route.completion !== 'callback') return pollDelayMs(watch.polls, poll, remaining);
  const since = watch.callback?.atPoll;
  if (since === undefined) return Math.min(input.route.policy.callbackFallbackMs, remaining);
  return pollDelayMs(
    watch.polls - since - 1,
    { initialMs: CALLBACK_RECHECK.initialMs, maxMs: poll.maxMs },
    remaining,
  );
}

/**
 * The status read made when the deadline has passed, before the attempt settles as timed out: the job may have
 * exited since the last poll, or the last polls may have failed under transient ARM errors. Settling such a job
 * `JobTimedOut` would run it again on the next attempt, so transient read errors are retried (readJobStatus).
 * Returns the job's outcome, or undefined when it is still running or its status stayed unreadable.
 */
function* finalStatusRead(
  context: OrchestrationContext,
  name: string,
  target: WatchState['target'],
  route: string,
): Step<AttemptOutcome | undefined> {
  return interpretJobStatus(yield* readJobStatus(context, name, target, route));
}

/** What {@link waitForCheck} returns when the operator's cancel won the race. */
const CANCELLED = 'cancelled';

/**
 * Waits for the next status check: the poll timer, the job's callback or the operator's cancel, whichever comes
 * first (the losing timer is cancelled). Returns what the callback said, CANCELLED, or undefined when the timer
 * fired. A callback already taken is left out of the race, or it would win every wait after it.
 */
function* waitForCheck(
  context: OrchestrationContext,
  delayMs: number,
  callback: Task | undefined,
  cancel: Task,
): Step<WatchState['callback'] | typeof CANCELLED> {
  const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + delayMs));
  const racers = callback && !callback.isCompleted ? [timer, cancel, callback] : [timer, cancel];
  const winner = (yield context.df.Task.any(racers)) as Task;
  if (winner === timer) return undefined;
  timer.cancel();
  if (winner === cancel) return CANCELLED;
  const data = (callback as Task).result as JobCallbackData;
  return { receivedAt: data.receivedAt, ...(data.output !== undefined ? { output: data.output } : {}) };
}

/** The outcome of a cancel; `by` only when the payload carries a text one (it comes from outside). */
export function cancelledOutcome(cancel: Task): AttemptOutcome {
  const by = (cancel.result as CancelRequest | null | undefined)?.by;
  return typeof by === 'string' && by !== ''
    ? { kind: 'cancelled', by: by.slice(0, 200) }
    : { kind: 'cancelled' };
}
