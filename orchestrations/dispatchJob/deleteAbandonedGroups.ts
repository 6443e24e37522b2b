import type { OrchestrationContext } from 'durable-functions';
import type { JobTarget } from '../../adapters/aci/jobProvider';
import { CLEANUP_RETRY, callWithRetry, type Step } from './callWithRetry';
import { DispatchJobActivity, type JobRef } from './contracts';
import type { StatusBoard } from './statusBoard';

/**
 * Deletes the attempt's container group on targets it was tried on but is not watched on. A create whose
 * response ARM lost (the PUT succeeded, the client saw an error) leaves a group that runs the job; if the
 * attempt then failed over, or ended `create-failed` and is requeued, that group would run the job a second
 * time and stay behind. Deleting by the attempt's deterministic name is idempotent (a missing group is fine),
 * retried like any clean-up. Returns a note for each group that could not be deleted.
 */
export function* deleteAbandonedGroups(
  context: OrchestrationContext,
  targets: readonly JobTarget[],
  board: StatusBoard,
): Step<string[]> {
  const notes: string[] = [];
  if (targets.length === 0) return notes;
  const phase = board.status.phase;
  board.publish({ phase: 'Deleting' });
  for (const target of targets) {
    const job: JobRef = { name: board.containerGroup, target };
    const deleted = yield* callWithRetry(context, DispatchJobActivity.deleteJob, job, CLEANUP_RETRY);
    if (!deleted.ok) {
      notes.push(
        `container group ${job.name} in ${target.location} could not be deleted: ${deleted.message}`,
      );
    }
  }
  board.publish({ phase });
  return notes;
}
