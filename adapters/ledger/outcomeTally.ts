import type { AttemptOutcome } from './eventLedger';

/**
 * Running counts per route, kept as attempts start and settle, so "how many succeeded / dead-lettered" is a
 * handful of point reads instead of a scan of every orchestration in the task hub. Each (instance, attempt)
 * counts once however often its start or settlement is recorded (activity retries, replays, redeliveries).
 */
export interface RouteTally {
  route: string;
  /** First attempts started (an event's generation reaching the route). */
  received: number;
  outcomes: Record<AttemptOutcome, number>;
  /** Dead-lettered attempts by reason. */
  deadLetterReasons: Record<string, number>;
}

export interface OutcomeTally {
  /** The counts of these routes (a route nothing was counted for reads as zeros). */
  read(routes: readonly string[]): Promise<RouteTally[]>;
}

export function emptyTally(route: string): RouteTally {
  return {
    route,
    received: 0,
    outcomes: { Succeeded: 0, Requeued: 0, DeadLettered: 0, Cancelled: 0 },
    deadLetterReasons: {},
  };
}
