import type { OrchestrationContext, Task } from 'durable-functions';
import { classifyError } from '../../shared/errors/classifyError';
import { backoffDelayMs, type BackoffPolicy } from '../../shared/policy/backoff';

/** A step of the orchestrator: a sub-generator it delegates to with `yield*`. */
export type Step<T> = Generator<Task, T, unknown>;

/** How often, and how patiently, one kind of activity call is retried. */
export interface RetryPolicy {
  tries: number;
  /** Delays double from `initialMs` up to `maxMs` (a Retry-After from the service wins). */
  backoff: BackoffPolicy;
}

const doubling = (initialMs: number, maxMs: number): BackoffPolicy => ({ initialMs, factor: 2, maxMs });

/** Create attempts on one target before moving to the next (transient errors only). */
export const CREATE_TRIES_PER_TARGET = 4;
export const CREATE_RETRY: RetryPolicy = { tries: CREATE_TRIES_PER_TARGET, backoff: doubling(5_000, 60_000) };
/** Stop and delete: best effort, a leftover group is reported in the description. */
export const CLEANUP_RETRY: RetryPolicy = { tries: 5, backoff: doubling(5_000, 60_000) };
/** Settling must not lose the event: requeue / dead-letter sends are retried for about an hour and a half. */
export const SEND_RETRY: RetryPolicy = { tries: 20, backoff: doubling(5_000, 300_000) };

/** How long to wait before try `tryNo + 1` (a Retry-After from the service wins). */
export function retryDelayMs(policy: RetryPolicy, tryNo: number, retryAfterMs: number | undefined): number {
  return retryAfterMs ?? backoffDelayMs(tryNo, policy.backoff);
}

/** Waits (durable timer) before try `tryNo + 1`. */
export function* waitBeforeRetry(
  context: OrchestrationContext,
  policy: RetryPolicy,
  tryNo: number,
  retryAfterMs: number | undefined,
): Step<void> {
  const delay = retryDelayMs(policy, tryNo, retryAfterMs);
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + delay));
}

/** Calls an activity that throws on failure, retrying all but permanent errors with capped backoff. */
export function* callWithRetry(
  context: OrchestrationContext,
  name: string,
  input: unknown,
  policy: RetryPolicy,
): Step<{ ok: true } | { ok: false; message: string }> {
  for (let tryNo = 1; ; tryNo++) {
    try {
      yield context.df.callActivity(name, input);
      return { ok: true };
    } catch (err) {
      const c = classifyError(err);
      if (c.class === 'permanent' || tryNo >= policy.tries) return { ok: false, message: c.message };
      yield* waitBeforeRetry(context, policy, tryNo, c.retryAfterMs);
    }
  }
}
