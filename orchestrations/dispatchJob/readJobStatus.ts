import type { OrchestrationContext } from 'durable-functions';
import type { JobTarget } from '../../adapters/aci/jobProvider';
import { waitBeforeRetry, type RetryPolicy, type Step } from './callWithRetry';
import { DispatchJobActivity, type JobStatusRequest, type JobStatusResult } from './contracts';

/** A status read that must not be lost to a transient ARM error: 4 tries, 5 s, 10 s, 20 s apart (about 35 s). */
export const STATUS_READ_RETRY: RetryPolicy = {
  tries: 4,
  backoff: { initialMs: 5_000, factor: 2, maxMs: 20_000 },
};

/**
 * Reads the job's status, retrying transient errors (durable timers). Returns the first answer that is not a
 * transient failure (a permanent one: the group does not exist), or the last failure once the tries are used up.
 */
export function* readJobStatus(
  context: OrchestrationContext,
  name: string,
  target: JobTarget,
  route: string,
): Step<JobStatusResult> {
  const request: JobStatusRequest = { name, target, route };
  for (let tryNo = 1; ; tryNo++) {
    const result = (yield context.df.callActivity(
      DispatchJobActivity.getJobStatus,
      request,
    )) as JobStatusResult;
    if (result.ok || result.class === 'permanent' || tryNo >= STATUS_READ_RETRY.tries) return result;
    yield* waitBeforeRetry(context, STATUS_READ_RETRY, tryNo, result.retryAfterMs);
  }
}
