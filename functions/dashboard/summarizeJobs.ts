import { toJobView, type InstanceSnapshot, type JobView } from '../status/jobStatus';

/** Phases after which an attempt does nothing more (its orchestration completed). */
export const settledPhases: ReadonlySet<string> = new Set([
  'Succeeded',
  'Requeued',
  'DeadLettered',
  'Cancelled',
]);

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

const failedRuntime = new Set(['Failed', 'Terminated']);

/** Counts attempts by route and phase and lists the running ones, in one pass over the instances. */
export function summarizeJobs(instances: readonly InstanceSnapshot[], maxRunning: number): JobsOverview {
  const byRoute = new Map<string, RouteSummary>();
  const running: JobView[] = [];
  let total = 0;
  for (const instance of instances) {
    const job = toJobView(instance);
    if (!job) continue;
    total++;
    const phase = failedRuntime.has(job.runtimeStatus) ? 'Failed' : job.phase;
    const summary = byRoute.get(job.route) ?? { route: job.route, counts: {}, total: 0 };
    summary.counts[phase] = (summary.counts[phase] ?? 0) + 1;
    summary.total++;
    byRoute.set(job.route, summary);
    if (phase !== 'Failed' && !settledPhases.has(phase)) running.push(job);
  }
  running.sort((a, b) => a.createdTime.localeCompare(b.createdTime));
  return {
    routes: [...byRoute.values()].sort((a, b) => a.route.localeCompare(b.route)),
    running: running.slice(0, maxRunning),
    runningTotal: running.length,
    total,
  };
}
