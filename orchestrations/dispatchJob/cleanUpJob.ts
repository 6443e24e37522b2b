import type { OrchestrationContext } from 'durable-functions';
import { CLEANUP_RETRY, callWithRetry, type Step } from './callWithRetry';
import { DispatchJobActivity, type AttemptProgress, type JobRef } from './contracts';
import type { StatusBoard } from './statusBoard';

/** Lines of job output kept for the dead-letter description. */
export const LOG_TAIL_LINES = 50;

/**
 * Stops a job that ran out of time, collects its log tail, deletes its container group. Returns the log tail
 * (with a note when the group could not be deleted); nothing to do when no group was ever created.
 */
export function* cleanUpJob(
  context: OrchestrationContext,
  progress: AttemptProgress,
  board: StatusBoard,
): Step<string> {
  if (!progress.target) return '';
  const job: JobRef = { name: board.containerGroup, target: progress.target };
  if (progress.outcome?.kind === 'timed-out') {
    board.publish({ phase: 'Stopping' });
    yield* callWithRetry(context, DispatchJobActivity.stopJob, job, CLEANUP_RETRY);
  }
  let logTail = '';
  // A job that never got created has no logs; its (possibly half-created) group is still deleted.
  if (progress.watch) {
    board.publish({ phase: 'CollectingLogs' });
    const request = { ...job, tailLines: LOG_TAIL_LINES };
    logTail = (yield context.df.callActivity(DispatchJobActivity.collectLogs, request)) as string;
  }
  board.publish({ phase: 'Deleting' });
  const deleted = yield* callWithRetry(context, DispatchJobActivity.deleteJob, job, CLEANUP_RETRY);
  if (deleted.ok) return logTail;
  return `${logTail}\n(container group ${job.name} could not be deleted: ${deleted.message})`;
}
