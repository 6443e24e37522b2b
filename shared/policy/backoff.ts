/** Retry backoff of a route, in milliseconds (converted from the routes file's ISO-8601 durations). */
export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
}

/**
 * Delay before the attempt that follows failed attempt `attempt` (1-based):
 * `min(initial * factor^(attempt-1), max)`. Computed in floating point and capped before rounding so a
 * large attempt number cannot overflow into Infinity/NaN.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy): number {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  const raw = policy.initialMs * Math.pow(policy.factor, attempt - 1);
  return Math.round(Math.min(Number.isFinite(raw) ? raw : policy.maxMs, policy.maxMs));
}
