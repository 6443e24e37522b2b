import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';

/**
 * How long an attempt may spend creating its job (every try on every target, backoff included) before it ends
 * `create-failed`. Kept apart from the route's `policy.timeout`, which is the job's own run time: under ARM
 * throttling or faults the dispatcher's create retries must not eat the job's deadline.
 */
export const CREATE_BUDGET_MS = 10 * 60_000;
/** CREATE_BUDGET_MS as ISO-8601, for messages and docs. */
export const CREATE_BUDGET = 'PT10M';

/**
 * The latest the job's deadline can fall: the attempt's start (or its admission grant) plus the create budget plus
 * the route's timeout. Fixed for the attempt, so callback tokens and claim-check URLs are bound to it and stay
 * valid whichever create try made the group.
 */
export function latestDeadlineFrom(startMs: number, route: ResolvedRoute): string {
  return new Date(startMs + CREATE_BUDGET_MS + route.policy.timeoutMs).toISOString();
}

/** Whether the create budget of an attempt with this latest deadline still allows another try at `nowMs`. */
export function createBudgetLeft(nowMs: number, latestDeadline: string, route: ResolvedRoute): boolean {
  return nowMs < Date.parse(latestDeadline) - route.policy.timeoutMs;
}

/**
 * The job's deadline, counted from the create that succeeded (`createdAtMs`): the route's timeout is the job's
 * run time, whatever the create cost. Never later than the attempt's latest deadline (a try started within the
 * budget may answer after it).
 */
export function jobDeadlineFrom(createdAtMs: number, latestDeadline: string, route: ResolvedRoute): string {
  return new Date(Math.min(createdAtMs + route.policy.timeoutMs, Date.parse(latestDeadline))).toISOString();
}

/** When the attempt started (or was granted its slot): what the latest deadline was counted from. */
export function attemptStartMs(latestDeadline: string, route: ResolvedRoute): number {
  return Date.parse(latestDeadline) - CREATE_BUDGET_MS - route.policy.timeoutMs;
}
