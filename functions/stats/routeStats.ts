import { toJobView, type InstanceSnapshot } from '../status/jobStatus';

/** The part of durable-functions' DurableClient the counts read. */
export interface InstanceLister {
  getStatusAll(): Promise<InstanceSnapshot[]>;
  getStatusBy(filter: { createdTimeFrom?: Date }): Promise<InstanceSnapshot[]>;
}

/**
 * Per-route counts computed from the orchestrations themselves (the task hub is shared by every instance of
 * the app, so the answer is the same whichever instance serves it, unlike in-process metric counters).
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

const FAILED_RUNTIME = new Set(['failed', 'terminated']);

/** Counts every dispatch job of the task hub created at or after `since` (all when undefined). */
export async function computeRouteStats(
  lister: InstanceLister,
  routes: readonly string[],
  since?: Date,
): Promise<RouteStats[]> {
  const byRoute = new Map<string, RouteStats>(routes.map((route) => [route, emptyStats(route)]));
  // The task hub filters by creation time (status payloads round createdTime to the second, so it is the
  // only exact judge).
  const instances = since
    ? await lister.getStatusBy({ createdTimeFrom: since })
    : await lister.getStatusAll();
  for (const instance of instances) {
    const job = toJobView(instance);
    if (!job) continue;
    let stats = byRoute.get(job.route);
    if (!stats) {
      // A route removed from the routes file still has history worth showing.
      stats = emptyStats(job.route);
      byRoute.set(job.route, stats);
    }
    if (job.attempt === 1) stats.received++;
    if (FAILED_RUNTIME.has(job.runtimeStatus.toLowerCase())) {
      stats.failed++;
      continue;
    }
    switch (job.phase) {
      case 'Succeeded':
        stats.succeeded++;
        break;
      case 'Requeued':
        stats.requeued++;
        break;
      case 'DeadLettered': {
        const reason = job.reason ?? 'Unknown';
        stats.deadLettered.total++;
        stats.deadLettered.byReason[reason] = (stats.deadLettered.byReason[reason] ?? 0) + 1;
        break;
      }
      case 'Cancelled':
        stats.cancelled++;
        break;
      case 'WaitingForCapacity':
        stats.waiting++;
        break;
      default:
        stats.running++;
    }
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
