import type { OrchestrationContext } from 'durable-functions';
import type { CreatedJob, JobTarget } from '../../adapters/aci/jobProvider';
import type { Step } from './callWithRetry';
import type { DispatchJobInput } from './contracts';
import { readJobStatus } from './readJobStatus';
import type { StatusBoard } from './statusBoard';

/**
 * Every create try failed, but ARM may have made the group anyway (it did the PUT and lost the answer), and the
 * job may be running or already done. Deleting it and requeueing would run the job a second time; instead the
 * group's status is read (transient errors retried) on each target where that may have happened, and the first
 * target where it exists is where the attempt watches its job, which settles by its exit code. Returns
 * undefined when no group was found (or none could be read): the attempt then ends `create-failed` as before.
 */
export function* findCreatedGroup(
  context: OrchestrationContext,
  input: DispatchJobInput,
  board: StatusBoard,
  targets: readonly JobTarget[],
): Step<CreatedJob | undefined> {
  for (const target of targets) {
    const read = yield* readJobStatus(context, board.containerGroup, target, input.route.name);
    if (read.ok && !read.status.missing) return { target, reused: true };
  }
  return undefined;
}
