/** How often a running job is polled, in milliseconds. */
export interface PollPolicy {
  initialMs: number;
  maxMs: number;
}

/** Each poll waits twice as long as the previous one until `maxMs`: quick jobs finish fast, long jobs cost few polls. */
export const POLL_GROWTH_FACTOR = 2;

/**
 * Delay before poll number `pollIndex` (0-based, counted over the whole attempt so the schedule survives
 * continueAsNew), clipped to `remainingMs` until the deadline so no poll is ever scheduled past it.
 */
export function pollDelayMs(pollIndex: number, policy: PollPolicy, remainingMs: number): number {
  const raw = policy.initialMs * Math.pow(POLL_GROWTH_FACTOR, Math.max(0, pollIndex));
  const interval = Math.min(Number.isFinite(raw) ? raw : policy.maxMs, policy.maxMs);
  return Math.max(0, Math.min(Math.round(interval), remainingMs));
}
