import type { OrchestrationContext } from 'durable-functions';
import { CREATE_RETRY, retryDelayMs, waitBeforeRetry, type Step } from './callWithRetry';
import {
  DispatchJobActivity,
  type AttemptProgress,
  type CreateJobResult,
  type DispatchJobInput,
} from './contracts';
import { CREATE_BUDGET } from './attemptDeadline';
import { findCreatedGroup } from './findCreatedGroup';
import { createRequest, mayTryCreateAgain, startWatching, TriedTargets } from './createRequest';
import type { StatusBoard } from './statusBoard';

/**
 * Creates the job on the primary target, retrying transient errors with capped backoff (honouring Retry-After),
 * and moves to the next fallback on capacity/quota errors or when a target keeps failing.
 */
export function* createOnSomeTarget(
  context: OrchestrationContext,
  input: DispatchJobInput,
  board: StatusBoard,
): Step<AttemptProgress> {
  const { route } = input;
  let lastMessage = 'no target configured';
  let allCapacity = true;
  let overBudget = false;
  const tried = new TriedTargets();
  for (const target of route.targets) {
    tried.add(target);
    for (let tryNo = 1; ; tryNo++) {
      const result = (yield context.df.callActivity(
        DispatchJobActivity.createJob,
        createRequest(context, input, board, target),
      )) as CreateJobResult;
      if (result.ok) {
        const watch = startWatching(context, input, board, result.created);
        return { watch, target: watch.target, ...tried.abandonedBesides(target) };
      }
      lastMessage = `${target.location}: ${result.message}`;
      if (result.class === 'permanent' || result.class === 'invalid-event' || result.class === 'config') {
        // A permanent failure may leave a half-created group behind: clean-up deletes it.
        const reason =
          result.reason ?? (result.class === 'invalid-event' ? 'InvalidEvent' : 'PermanentError');
        return {
          target,
          outcome: { kind: 'permanent', reason, message: lastMessage },
          ...tried.abandonedBesides(target),
        };
      }
      if (result.class !== 'capacity') {
        allCapacity = false;
        tried.markUncertain(target);
      }
      const nextTarget = result.class === 'capacity' || tryNo >= CREATE_RETRY.tries;
      const delayMs = nextTarget ? 0 : retryDelayMs(CREATE_RETRY, tryNo, result.retryAfterMs);
      if (!mayTryCreateAgain(context, input, board, delayMs)) {
        overBudget = true;
        break;
      }
      if (nextTarget) break;
      yield* waitBeforeRetry(context, CREATE_RETRY, tryNo, result.retryAfterMs);
    }
    if (overBudget) break;
  }
  const found = yield* findCreatedGroup(context, input, board, tried.uncertainTargets());
  if (found) {
    const watch = startWatching(context, input, board, found);
    return { watch, target: watch.target, ...tried.abandonedBesides(found.target) };
  }
  const message = overBudget
    ? `could not create the job within the create budget ${CREATE_BUDGET}; last error: ${lastMessage}`
    : `could not create the job on any of ${route.targets.length} target(s); last error: ${lastMessage}`;
  return { outcome: { kind: 'create-failed', capacity: allCapacity, message }, ...tried.abandonedBesides() };
}
