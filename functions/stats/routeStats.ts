import { toJobView } from '../status/jobStatus';
import type { CountSources } from './countSources';

/**
 * Per-route counts from the task hub and the ledger's tally (both shared by every instance of the app, so the
 * answer is the same whichever instance serves it, unlike in-process metric counters).
 */
export interface RouteStats {
  route: string;
  /** Events that started a first attempt on the route. */
  received: number;
  succeeded: number;
  requeued: number;
  deadLettered: { total: number; byReason: Record<string, number> };
  cancelled: number;
  /** Attempts in progress: creating, watching, cleaning up or settling. */
  running: number;
  /** Attempts waiting for a capacity slot (WaitingForCapacity). */
  waiting: number;
  /** Orchestrations that failed (an error the orchestrator did not handle): see the portal. */
  failed: number;
}

/** The configured routes always, and any other route that has counts (removed from the routes file since). */
export function computeRouteStats(sources: CountSources, routes: readonly string[]): RouteStats[] {
  const byRoute = new Map<string, RouteStats>(routes.map((route) => [route, emptyStats(route)]));
  const statsOf = (route: string): RouteStats => {
    let stats = byRoute.get(route);
    if (!stats) byRoute.set(route, (stats = emptyStats(route)));
    return stats;
  };
  for (const tally of sources.tallies) {
    const stats = statsOf(tally.route);
    stats.received += tally.received;
    stats.succeeded += tally.outcomes.Succeeded;
    stats.requeued += tally.outcomes.Requeued;
    stats.cancelled += tally.outcomes.Cancelled;
    stats.deadLettered.total += tally.outcomes.DeadLettered;
    for (const [reason, n] of Object.entries(tally.deadLetterReasons))
      stats.deadLettered.byReason[reason] = (stats.deadLettered.byReason[reason] ?? 0) + n;
  }
  for (const instance of sources.live) {
    const job = toJobView(instance);
    if (!job) continue;
    if (job.phase === 'WaitingForCapacity') statsOf(job.route).waiting++;
    else statsOf(job.route).running++;
  }
  for (const instance of sources.failed) {
    const job = toJobView(instance);
    if (job) statsOf(job.route).failed++;
  }
  return [...byRoute.values()].sort((a, b) => a.route.localeCompare(b.route));
}

function emptyStats(route: string): RouteStats {
  return {
    route,
    received: 0,
    succeeded: 0,
    requeued: 0,
    deadLettered: { total: 0, byReason: {} },
    cancelled: 0,
    running: 0,
    waiting: 0,
    failed: 0,
  };
}
