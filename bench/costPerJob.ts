import type { FunctionHandler } from '@azure/functions';
import { DurableEngine, TERMINAL_STATUSES, type DurableCounterSet } from '../devhost/durable/durableEngine';
import { VirtualClock } from '../devhost/durable/clock';
import { registerFunctions } from '../app/registerFunctions';
import { DispatchJobActivity } from '../orchestrations/dispatchJob/contracts';
import { DEFAULT_POLLS_PER_EXECUTION, loadSettings } from '../shared/config/loadSettings';
import { generateSigningKey } from '../shared/signing/signingKeys';
import {
  DISPATCH_JOB_ORCHESTRATOR,
  type DispatchJobInput,
} from '../orchestrations/dispatchJob/dispatchJobInput';
import type { JobTarget } from '../adapters/aci/jobProvider';
import { containerGroupNameFor, instanceIdFor } from '../shared/naming/dispatchNames';
import { resolveRoutes, type ResolvedRoute } from '../shared/routes/resolvedRoute';
import { routeSchema } from '../shared/routes/routeSchema';
import { captureHandlers, requireHandler } from './captureHandlers';
import {
  NAIVE_MONITOR_ORCHESTRATOR,
  NAIVE_POLL_INTERVAL_MS,
  NaiveMonitorActivity,
  registerNaiveMonitor,
  monitorInput,
} from './naiveMonitor';
import { CountingEventQueue, VirtualJobProvider } from './virtualJobProvider';

/*
 * What watching one job costs the orchestration, by job length: the real dispatchJob orchestrator against the
 * naive monitor loop, both on the local Durable engine with a virtual clock (24 h of job time in seconds).
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DEFAULT_JOB_DURATIONS_MS = [MINUTE_MS, 10 * MINUTE_MS, HOUR_MS, 6 * HOUR_MS, 24 * HOUR_MS];
/** DISPATCH_POLLS_PER_EXECUTION's default, from the one config loader. */
export { DEFAULT_POLLS_PER_EXECUTION };
/**
 * The route's timeout must outlast the longest job, so it is the one policy field set: the default PT1H would
 * stop the 6 h and 24 h jobs. Polling (PT5S -> PT1M), backoff and attempts keep their defaults.
 */
export const BENCH_ROUTE_TIMEOUT = 'PT48H';

/** The app's settings for the bench: only the Service Bus connection is required, and nothing connects to it. */
const BENCH_SETTINGS = loadSettings({
  DURABLE_TASK_HUB: 'bench',
  DISPATCH_SIGNING_KEY: generateSigningKey(),
  ServiceBusConnection:
    'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;',
});

export type MonitorKind = 'dispatchJob' | 'naive';

export interface CostRun {
  monitor: MonitorKind;
  jobMs: number;
  outcome: string;
  /** Orchestrator episodes (each one replays the execution's history so far). */
  episodes: number;
  activityCalls: number;
  timersCreated: number;
  /** Executions (1 + continueAsNew count). */
  executions: number;
  /** Longest history handed to one episode, over all executions. */
  largestHistory: number;
  historyEventsReplayed: number;
  /** Job end -> first status call that saw it terminated (virtual ms). */
  detectionDelayMs?: number;
  /** Real time and CPU of this process for the run (engine + replay + activities). */
  wallMs: number;
  cpuMs: number;
  /** Set when the run was stopped at the wall-time budget; counters are then what was reached by `reachedMs`. */
  capped?: { reachedMs: number; budgetMs: number };
}

export interface CostComparison {
  jobMs: number;
  ours: CostRun;
  naive?: CostRun;
  /** For a capped naive run: its figures scaled to the full job (linear counts, quadratic replay). */
  naiveExtrapolated?: Pick<
    CostRun,
    'episodes' | 'activityCalls' | 'timersCreated' | 'largestHistory' | 'historyEventsReplayed'
  >;
}

export interface CostPerJobOptions {
  durationsMs?: number[];
  /** Also run the naive monitor (default true). */
  naive?: boolean;
  /** Real-time budget per naive run before it is capped; default 60 s. */
  naiveBudgetMs?: number;
  pollsPerExecution?: number;
  log?: (line: string) => void;
}

const TARGET: JobTarget = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'bench',
  location: 'westeurope',
};

export function benchRoute(): ResolvedRoute {
  const definition = routeSchema.parse({
    name: 'bench',
    match: { type: 'bench.job' },
    job: { image: 'bench/job:1' },
    target: {
      subscriptionId: TARGET.subscriptionId,
      resourceGroup: TARGET.resourceGroup,
      location: TARGET.location,
    },
    policy: { timeout: BENCH_ROUTE_TIMEOUT },
  });
  const [route] = resolveRoutes([definition], {});
  if (!route) throw new Error('bench route did not resolve');
  return route;
}

interface BenchEngine {
  engine: DurableEngine;
  clock: VirtualClock;
  provider: VirtualJobProvider;
}

async function createBenchEngine(): Promise<BenchEngine> {
  const clock = new VirtualClock();
  const provider = new VirtualJobProvider(clock);
  // The app is built as its entry builds it (registerFunctions), with the virtual provider as its job port, so the
  // handlers are the library's wrapped ones, exactly as under the Functions host.
  const handlers = await captureHandlers(() => {
    registerFunctions({
      settings: BENCH_SETTINGS,
      routes: [benchRoute()],
      ports: { jobProvider: provider, eventQueue: new CountingEventQueue() },
    });
    registerNaiveMonitor(provider);
  });
  const engine = new DurableEngine({ clock, http: false });
  const register = (name: string, kind: 'orchestration' | 'activity'): void => {
    const handler: FunctionHandler = requireHandler(handlers, name);
    if (kind === 'orchestration') engine.registerOrchestration(name, handler);
    else engine.registerActivity(name, handler);
  };
  register(DISPATCH_JOB_ORCHESTRATOR, 'orchestration');
  register(NAIVE_MONITOR_ORCHESTRATOR, 'orchestration');
  for (const name of [...Object.values(DispatchJobActivity), ...Object.values(NaiveMonitorActivity)])
    register(name, 'activity');
  await engine.start();
  return { engine, clock, provider };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Jumps from timer to timer until the instance ends, or the wall budget runs out. */
async function drive(b: BenchEngine, instanceId: string, budgetMs: number): Promise<{ capped: boolean }> {
  const wallStart = Date.now();
  let fired = 0;
  await b.engine.waitForIdle();
  for (;;) {
    const status = b.engine.getStatus(instanceId);
    if (!status) throw new Error(`instance ${instanceId} vanished`);
    if (TERMINAL_STATUSES.includes(status.runtimeStatus)) {
      if (status.runtimeStatus !== 'Completed') {
        throw new Error(
          `instance ${instanceId} ended ${status.runtimeStatus}: ${JSON.stringify(status.output)}`,
        );
      }
      return { capped: false };
    }
    // At least one timer first, so a capped run always has some job time to extrapolate from.
    if (fired > 0 && Date.now() - wallStart > budgetMs) return { capped: true };
    fired++;
    if (!(await b.clock.fireNext()))
      throw new Error(`instance ${instanceId} is ${status.runtimeStatus} with no timer armed`);
  }
}

function runFromCounters(
  monitor: MonitorKind,
  jobMs: number,
  counters: DurableCounterSet,
  extra: Omit<
    CostRun,
    | 'monitor'
    | 'jobMs'
    | 'episodes'
    | 'activityCalls'
    | 'timersCreated'
    | 'executions'
    | 'largestHistory'
    | 'historyEventsReplayed'
  >,
): CostRun {
  return {
    monitor,
    jobMs,
    episodes: counters.episodes,
    activityCalls: counters.activityCalls,
    timersCreated: counters.timersCreated,
    executions: counters.continuedAsNew + 1,
    largestHistory: counters.largestHistory,
    historyEventsReplayed: counters.historyEventsReplayed,
    ...extra,
  };
}

async function runOne(
  b: BenchEngine,
  monitor: MonitorKind,
  jobMs: number,
  route: ResolvedRoute,
  pollsPerExecution: number,
  budgetMs: number,
): Promise<CostRun> {
  const eventId = `bench-${monitor}-${jobMs}`;
  const instanceId =
    instanceIdFor(route.name, { source: '/bench', id: eventId }, 1) + (monitor === 'naive' ? '-naive' : '');
  const jobName = containerGroupNameFor(instanceId);
  b.provider.planJob(jobName, jobMs);
  const event = { id: eventId, type: 'bench.job', source: '/bench' };
  const eventJson = JSON.stringify({ specversion: '1.0', ...event, data: { jobMs } });
  const startedAt = b.clock.now();
  const wall0 = Date.now();
  const cpu0 = cpuMs();
  if (monitor === 'dispatchJob') {
    const input: DispatchJobInput = { route, event, eventJson, attempt: 1, pollsPerExecution };
    b.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, { instanceId, input });
  } else {
    const input = monitorInput(route, { name: jobName, instanceId, eventId, eventJson }, TARGET, startedAt);
    b.engine.startNew(NAIVE_MONITOR_ORCHESTRATOR, { instanceId, input });
  }
  const { capped } = await drive(b, instanceId, budgetMs);
  const wallMs = Date.now() - wall0;
  const cpu = cpuMs() - cpu0;
  const counters = b.engine.instanceCounters(instanceId);
  if (!counters) throw new Error(`no counters for ${instanceId}`);
  const job = b.provider.record(jobName);
  const output = b.engine.getStatus(instanceId)?.output as { outcome?: string } | null | undefined;
  const detection = job?.firstSeenEndedAt !== undefined ? job.firstSeenEndedAt - job.endsAt : undefined;
  return runFromCounters(monitor, jobMs, counters, {
    outcome: capped ? 'capped' : (output?.outcome ?? 'unknown'),
    ...(detection !== undefined ? { detectionDelayMs: detection } : {}),
    wallMs,
    cpuMs: cpu,
    ...(capped ? { capped: { reachedMs: b.clock.now() - startedAt, budgetMs } } : {}),
  });
}

/** Scales a capped naive run to the full job: polls grow linearly with time, replayed events quadratically. */
function extrapolate(run: CostRun): CostComparison['naiveExtrapolated'] {
  if (!run.capped || run.capped.reachedMs <= 0) return undefined;
  const f = run.jobMs / run.capped.reachedMs;
  return {
    episodes: Math.round(run.episodes * f),
    activityCalls: Math.round(run.activityCalls * f),
    timersCreated: Math.round(run.timersCreated * f),
    largestHistory: Math.round(run.largestHistory * f),
    historyEventsReplayed: Math.round(run.historyEventsReplayed * f * f),
  };
}

export async function measureCostPerJob(options: CostPerJobOptions = {}): Promise<CostComparison[]> {
  const durations = options.durationsMs ?? DEFAULT_JOB_DURATIONS_MS;
  const pollsPerExecution = options.pollsPerExecution ?? DEFAULT_POLLS_PER_EXECUTION;
  const naiveBudgetMs = options.naiveBudgetMs ?? 60_000;
  const log = options.log ?? (() => undefined);
  for (const d of durations) {
    if (!Number.isFinite(d) || d <= 0)
      throw new RangeError(`job durations must be positive milliseconds, got ${d}`);
  }
  const route = benchRoute();
  if (Math.max(...durations) >= route.policy.timeoutMs) {
    throw new RangeError(`job durations must be shorter than the bench route timeout ${BENCH_ROUTE_TIMEOUT}`);
  }
  const results: CostComparison[] = [];
  for (const jobMs of durations) {
    // A fresh engine per job length: a capped naive run leaves timers armed that must not leak into the next one.
    const b = await createBenchEngine();
    try {
      log(`cost: ${formatDuration(jobMs)} job, dispatchJob ...`);
      const ours = await runOne(b, 'dispatchJob', jobMs, route, pollsPerExecution, Number.POSITIVE_INFINITY);
      const row: CostComparison = { jobMs, ours };
      if (options.naive !== false) {
        log(`cost: ${formatDuration(jobMs)} job, naive monitor (budget ${naiveBudgetMs / 1000} s) ...`);
        row.naive = await runOne(b, 'naive', jobMs, route, pollsPerExecution, naiveBudgetMs);
        const ex = extrapolate(row.naive);
        if (ex) row.naiveExtrapolated = ex;
      }
      results.push(row);
    } finally {
      await b.engine.stop();
    }
  }
  return results;
}

export interface DetectionSweep {
  jobsMs: number[];
  delaysMs: number[];
  minMs: number;
  meanMs: number;
  maxMs: number;
}

/**
 * Detection delay depends on where the job's end falls between two polls; whole-minute jobs all land at the same
 * phase of the schedule. This runs dispatchJob for `count` job lengths `baseMs + i * stepMs` to cover the phases.
 */
export async function measureDetectionSweep(
  options: { baseMs?: number; stepMs?: number; count?: number; pollsPerExecution?: number } = {},
): Promise<DetectionSweep> {
  const baseMs = options.baseMs ?? HOUR_MS;
  const stepMs = options.stepMs ?? 5_000;
  const count = options.count ?? 12;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`detection sweep count must be an integer >= 1, got ${count}`);
  const route = benchRoute();
  const b = await createBenchEngine();
  const jobsMs: number[] = [];
  const delaysMs: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const jobMs = baseMs + i * stepMs;
      const run = await runOne(
        b,
        'dispatchJob',
        jobMs,
        route,
        options.pollsPerExecution ?? DEFAULT_POLLS_PER_EXECUTION,
        Number.POSITIVE_INFINITY,
      );
      if (run.detectionDelayMs === undefined)
        throw new Error(`dispatchJob never saw the ${jobMs} ms job end`);
      jobsMs.push(jobMs);
      delaysMs.push(run.detectionDelayMs);
    }
  } finally {
    await b.engine.stop();
  }
  return {
    jobsMs,
    delaysMs,
    minMs: Math.min(...delaysMs),
    meanMs: delaysMs.reduce((a, d) => a + d, 0) / delaysMs.length,
    maxMs: Math.max(...delaysMs),
  };
}

export function formatDuration(ms: number): string {
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  if (ms % MINUTE_MS === 0) return `${ms / MINUTE_MS} min`;
  return `${ms / 1000} s`;
}

export { NAIVE_POLL_INTERVAL_MS };
