import type { OrchestrationContext } from 'durable-functions';
import { CLEANUP_RETRY, callWithRetry, type Step } from './callWithRetry';
import {
  DispatchJobActivity,
  type AttemptProgress,
  type CollectLogsInput,
  type CollectedLogs,
  type DispatchJobInput,
  type JobRef,
} from './contracts';
import type { StatusBoard } from './statusBoard';

/** Lines of job output kept for the dead-letter description. */
export const LOG_TAIL_LINES = 50;

/**
 * Stops a job that ran out of time, archives its whole log (and keeps its tail), deletes its container group.
 * Returns the logs (the tail noting when the group could not be deleted); nothing to do when no group was ever
 * created.
 */
export function* cleanUpJob(
  context: OrchestrationContext,
  input: DispatchJobInput,
  progress: AttemptProgress,
  board: StatusBoard,
): Step<CollectedLogs> {
  if (!progress.target) return { tail: '' };
  const job: JobRef = { name: board.containerGroup, target: progress.target };
  if (progress.outcome?.kind === 'timed-out' || progress.outcome?.kind === 'cancelled') {
    board.publish({ phase: 'Stopping' });
    yield* callWithRetry(context, DispatchJobActivity.stopJob, job, CLEANUP_RETRY);
  }
  let logs: CollectedLogs = { tail: '' };
  // A job that never got created has no logs; its (possibly half-created) group is still deleted.
  if (progress.watch) {
    board.publish({ phase: 'CollectingLogs' });
    const request: CollectLogsInput = {
      ...job,
      ...logRef(input),
      tailLines: LOG_TAIL_LINES,
      ...(input.route.job.outputFile !== undefined ? { readOutput: true } : {}),
    };
    const collected = (yield context.df.callActivity(DispatchJobActivity.collectLogs, request)) as
      CollectedLogs | string;
    // A string: history written before logs were archived (an instance resumed across the upgrade).
    logs = typeof collected === 'string' ? { tail: collected } : collected;
    board.publish({
      ...(logs.logUrl !== undefined ? { logUrl: logs.logUrl } : {}),
      ...(logs.archiveError !== undefined ? { logArchiveError: logs.archiveError } : {}),
    });
  }
  board.publish({ phase: 'Deleting' });
  const deleted = yield* callWithRetry(context, DispatchJobActivity.deleteJob, job, CLEANUP_RETRY);
  if (deleted.ok) return logs;
  return {
    ...logs,
    tail: `${logs.tail}\n(container group ${job.name} could not be deleted: ${deleted.message})`,
  };
}

/** Which attempt a log belongs to (its blob name). */
export function logRef(input: DispatchJobInput): Pick<CollectLogsInput, 'route' | 'eventId' | 'attempt'> {
  return { route: input.route.name, eventId: input.event.id, attempt: input.attempt };
}
