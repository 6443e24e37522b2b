import type { EventLedger } from '../../adapters/ledger/eventLedger';
import { emptyTally, type RouteTally } from '../../adapters/ledger/outcomeTally';
import type { InstancePageQuery, InstancePageSource } from '../status/instancePages';
import { toJobView, type InstanceSnapshot } from '../status/jobStatus';

/** Phases after which an attempt does nothing more (its orchestration completes right after). */
export const settledPhases: ReadonlySet<string> = new Set([
  'Succeeded',
  'Requeued',
  'DeadLettered',
  'Cancelled',
]);

/**
 * What the overview and the stats count from: settled attempts as counts, and only the instances still
 * doing something (or that failed) as instances.
 */
export interface CountSources {
  tallies: RouteTally[];
  /** Running or Pending orchestrations whose attempt has not settled yet. */
  live: InstanceSnapshot[];
  /** Orchestrations that failed or were terminated (an error the orchestrator did not handle). */
  failed: InstanceSnapshot[];
}

const PAGE = 500;

/** Every instance one query matches, a page at a time (the Durable query keeps its continuation token). */
export async function readAllPages(
  pages: InstancePageSource,
  query: Omit<InstancePageQuery, 'top' | 'continuationToken'>,
): Promise<InstanceSnapshot[]> {
  const out: InstanceSnapshot[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await pages({ ...query, top: PAGE, ...(continuationToken ? { continuationToken } : {}) });
    out.push(...page.instances);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return out;
}

/**
 * Without a time window and with the ledger: the ledger's tally for settled attempts plus two filtered queries
 * (Running/Pending, Failed/Terminated), so the cost follows the jobs in flight, not the task hub's history.
 * With `since` (or no ledger): the instances created in the window, counted one by one.
 */
export async function gatherCounts(
  pages: InstancePageSource,
  routes: readonly string[],
  ledger: EventLedger | undefined,
  since?: Date,
): Promise<CountSources> {
  if (ledger && since === undefined) {
    const [tallies, running, failed] = await Promise.all([
      ledger.readTally(routes),
      readAllPages(pages, { runtimeStatus: ['Running', 'Pending'] }),
      readAllPages(pages, { runtimeStatus: ['Failed', 'Terminated'] }),
    ]);
    return { tallies, live: running.filter((i) => !settledPhases.has(phaseOf(i))), failed };
  }
  const all = await readAllPages(pages, since ? { createdTimeFrom: since } : {});
  return splitInstances(all);
}

/** Counts a list of instances the way the tally would have (tests and `since` windows). */
export function splitInstances(instances: readonly InstanceSnapshot[]): CountSources {
  const byRoute = new Map<string, RouteTally>();
  const live: InstanceSnapshot[] = [];
  const failed: InstanceSnapshot[] = [];
  for (const instance of instances) {
    const job = toJobView(instance);
    if (!job) continue;
    const tally = byRoute.get(job.route) ?? emptyTally(job.route);
    byRoute.set(job.route, tally);
    // The ledger counts a first attempt when it starts, whatever becomes of it.
    if (job.attempt === 1) tally.received++;
    const runtime = job.runtimeStatus.toLowerCase();
    if (runtime === 'failed' || runtime === 'terminated') failed.push(instance);
    else if (settledPhases.has(job.phase)) {
      tally.outcomes[job.phase as keyof RouteTally['outcomes']]++;
      if (job.phase === 'DeadLettered') {
        const reason = job.reason ?? 'Unknown';
        tally.deadLetterReasons[reason] = (tally.deadLetterReasons[reason] ?? 0) + 1;
      }
    } else live.push(instance);
  }
  return { tallies: [...byRoute.values()], live, failed };
}

function phaseOf(instance: InstanceSnapshot): string {
  return toJobView(instance)?.phase ?? 'Pending';
}
