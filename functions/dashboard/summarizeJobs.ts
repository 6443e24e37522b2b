import type { CountSources } from '../stats/countSources';
import { toJobView, type JobView } from '../status/jobStatus';

export interface RouteSummary {
  route: string;
  /** Attempts by phase (outcomes included); an orchestration that failed or was terminated counts as `Failed`. */
  counts: Record<string, number>;
  total: number;
}

export interface JobsOverview {
  routes: RouteSummary[];
  /** Attempts not settled yet (waiting, creating, watching, cleaning up), oldest first, at most `maxRunning`. */
  running: JobView[];
  runningTotal: number;
  total: number;
}

/** Counts attempts by route and phase (settled ones from the tally) and lists the running ones. */
export function summarizeJobs(sources: CountSources, maxRunning: number): JobsOverview {
  const byRoute = new Map<string, RouteSummary>();
  let total = 0;
  const add = (route: string, phase: string, n: number): void => {
    if (n === 0) return;
    const summary = byRoute.get(route) ?? { route, counts: {}, total: 0 };
    summary.counts[phase] = (summary.counts[phase] ?? 0) + n;
    summary.total += n;
    total += n;
    byRoute.set(route, summary);
  };
  for (const tally of sources.tallies)
    for (const [outcome, n] of Object.entries(tally.outcomes)) add(tally.route, outcome, n);
  const running: JobView[] = [];
  for (const instance of sources.live) {
    const job = toJobView(instance);
    if (!job) continue;
    add(job.route, job.phase, 1);
    running.push(job);
  }
  for (const instance of sources.failed) {
    const job = toJobView(instance);
    if (job) add(job.route, 'Failed', 1);
  }
  running.sort((a, b) => a.createdTime.localeCompare(b.createdTime));
  return {
    routes: [...byRoute.values()].sort((a, b) => a.route.localeCompare(b.route)),
    running: running.slice(0, maxRunning),
    runningTotal: running.length,
    total,
  };
}
