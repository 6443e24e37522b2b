import { generateSigningKey } from '../shared/signing/signingKeys';
import type { FunctionHandler } from '@azure/functions';
import * as df from 'durable-functions';
import { DurableEngine, TERMINAL_STATUSES } from '../devhost/durable/durableEngine';
import { VirtualClock } from '../devhost/durable/clock';
import { registerFunctions } from '../app/registerFunctions';
import { DispatchJobActivity, JOB_CALLBACK_EVENT } from '../orchestrations/dispatchJob/contracts';
import {
  DISPATCH_JOB_ORCHESTRATOR,
  type DispatchJobInput,
} from '../orchestrations/dispatchJob/dispatchJobInput';
import type { JobTarget } from '../adapters/aci/jobProvider';
import { DEFAULT_POLLS_PER_EXECUTION, loadSettings } from '../shared/config/loadSettings';
import { containerGroupNameFor, instanceIdFor } from '../shared/naming/dispatchNames';
import { resolveRoutes, type ResolvedRoute } from '../shared/routes/resolvedRoute';
import { routeSchema } from '../shared/routes/routeSchema';
import { captureHandlers, requireHandler } from './captureHandlers';
import { COMPETENT_MONITOR_ORCHESTRATOR, competentMonitorOrchestrator } from './competentMonitor';
import { BENCH_ROUTE_TIMEOUT, DEFAULT_JOB_DURATIONS_MS } from './costPerJob';
import {
  NAIVE_MONITOR_ORCHESTRATOR,
  NaiveMonitorActivity,
  registerNaiveMonitor,
  monitorInput,
} from './naiveMonitor';
import { CountingEventQueue, VirtualJobProvider } from './virtualJobProvider';

/*
 * Polling vs callback, on the local Durable engine with a virtual clock: the real dispatchJob orchestrator on a
 * poll route and on a callback route (the job's callback is raised at the virtual instant the job ends), beside
 * the naive monitor loop and a competent fixed-30-s monitor that continues as new every poll.
 */

export const COMPLETION_MONITORS = ['poll', 'callback', 'competent', 'naive'] as const;
export type CompletionMonitor = (typeof COMPLETION_MONITORS)[number];

export interface CompletionRun {
  monitor: CompletionMonitor;
  jobMs: number;
  episodes: number;
  activityCalls: number;
  executions: number;
  largestHistory: number;
  /** Job end -> first status read that saw it ended (virtual ms). */
  detectionDelayMs?: number;
  /** Set when a naive run hit its wall budget: its counts are scaled to the whole job. */
  extrapolatedFromMs?: number;
}

const TARGET: JobTarget = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'bench',
  location: 'westeurope',
};

const SETTINGS = loadSettings({
  DURABLE_TASK_HUB: 'bench',
  DISPATCH_SIGNING_KEY: generateSigningKey(),
  ServiceBusConnection:
    'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;',
  // Only so callback jobs get a URL: nothing calls it, the bench raises the event itself.
  WEBSITE_HOSTNAME: 'localhost:7071',
});

function route(name: string, completion: 'poll' | 'callback'): ResolvedRoute {
  const definition = routeSchema.parse({
    name,
    match: { type: `bench.${name}` },
    job: { image: 'bench/job:1' },
    completion,
    target: TARGET,
    policy: { timeout: BENCH_ROUTE_TIMEOUT },
  });
  return resolveRoutes([definition], {})[0]!;
}

/** Added to every job length, so the end does not fall exactly on a whole-minute poll of any monitor. */
export const END_PHASE_MS = 17_000;

const POLL_ROUTE = route('bench-poll', 'poll');
const CALLBACK_ROUTE = route('bench-callback', 'callback');

async function createEngine(clock: VirtualClock, provider: VirtualJobProvider): Promise<DurableEngine> {
  const handlers = await captureHandlers(() => {
    registerFunctions({
      settings: SETTINGS,
      routes: [POLL_ROUTE, CALLBACK_ROUTE],
      ports: { jobProvider: provider, eventQueue: new CountingEventQueue() },
    });
    registerNaiveMonitor(provider);
    df.app.orchestration(COMPETENT_MONITOR_ORCHESTRATOR, competentMonitorOrchestrator);
  });
  const engine = new DurableEngine({ clock, http: false });
  const handler = (name: string): FunctionHandler => requireHandler(handlers, name);
  for (const name of [DISPATCH_JOB_ORCHESTRATOR, NAIVE_MONITOR_ORCHESTRATOR, COMPETENT_MONITOR_ORCHESTRATOR])
    engine.registerOrchestration(name, handler(name));
  for (const name of [...Object.values(DispatchJobActivity), ...Object.values(NaiveMonitorActivity)])
    engine.registerActivity(name, handler(name));
  await engine.start();
  return engine;
}

function startInstance(engine: DurableEngine, monitor: CompletionMonitor, jobMs: number, startedAt: number) {
  const r = monitor === 'callback' ? CALLBACK_ROUTE : POLL_ROUTE;
  const eventId = `bench-${monitor}-${jobMs}`;
  const instanceId =
    instanceIdFor(r.name, { source: '/bench', id: eventId }, 1) +
    (monitor === 'poll' || monitor === 'callback' ? '' : `-${monitor}`);
  const event = { id: eventId, type: `bench.${r.name}`, source: '/bench' };
  const eventJson = JSON.stringify({ specversion: '1.0', ...event, data: { jobMs } });
  if (monitor === 'poll' || monitor === 'callback') {
    const input: DispatchJobInput = {
      route: r,
      event,
      eventJson,
      attempt: 1,
      pollsPerExecution: DEFAULT_POLLS_PER_EXECUTION,
    };
    engine.startNew(DISPATCH_JOB_ORCHESTRATOR, { instanceId, input });
  } else {
    const input = monitorInput(
      r,
      { name: containerGroupNameFor(instanceId), instanceId, eventId, eventJson },
      TARGET,
      startedAt,
    );
    engine.startNew(monitor === 'naive' ? NAIVE_MONITOR_ORCHESTRATOR : COMPETENT_MONITOR_ORCHESTRATOR, {
      instanceId,
      input,
    });
  }
  return instanceId;
}

/** One job of `jobMs` watched by `monitor`, driven timer to timer; the callback is raised when the job ends. */
export async function runCompletion(
  monitor: CompletionMonitor,
  jobMs: number,
  budgetMs = 20_000,
): Promise<CompletionRun> {
  const clock = new VirtualClock();
  const provider = new VirtualJobProvider(clock);
  const engine = await createEngine(clock, provider);
  try {
    const startedAt = clock.now();
    const instanceId = startInstance(engine, monitor, jobMs, startedAt);
    const jobName = containerGroupNameFor(instanceId);
    provider.planJob(jobName, jobMs + END_PHASE_MS);
    await engine.waitForIdle();
    const wall0 = Date.now();
    let calledBack = false;
    let capped = false;
    for (;;) {
      const status = engine.getStatus(instanceId);
      if (!status) throw new Error(`instance ${instanceId} vanished`);
      if (TERMINAL_STATUSES.includes(status.runtimeStatus)) break;
      if (Date.now() - wall0 > budgetMs) {
        capped = true;
        break;
      }
      const endsAt = provider.record(jobName)?.endsAt;
      const due = clock.nextDueAt();
      if (monitor === 'callback' && !calledBack && endsAt !== undefined && endsAt <= (due ?? Infinity)) {
        await clock.advanceTo(endsAt);
        calledBack = true;
        if (TERMINAL_STATUSES.includes(engine.getStatus(instanceId)?.runtimeStatus ?? 'Completed')) continue;
        engine.raiseEvent(instanceId, JOB_CALLBACK_EVENT, { receivedAt: new Date(endsAt).toISOString() });
        await engine.waitForIdle();
        continue;
      }
      if (!(await clock.fireNext())) throw new Error(`instance ${instanceId} has no timer armed`);
    }
    const counters = engine.instanceCounters(instanceId);
    if (!counters) throw new Error(`no counters for ${instanceId}`);
    const job = provider.record(jobName);
    const reachedMs = clock.now() - startedAt;
    const scale = capped && reachedMs > 0 ? jobMs / reachedMs : 1;
    return {
      monitor,
      jobMs,
      episodes: Math.round(counters.episodes * scale),
      activityCalls: Math.round(counters.activityCalls * scale),
      executions: counters.continuedAsNew + 1,
      largestHistory: Math.round(counters.largestHistory * scale),
      ...(job?.firstSeenEndedAt !== undefined ? { detectionDelayMs: job.firstSeenEndedAt - job.endsAt } : {}),
      ...(capped ? { extrapolatedFromMs: reachedMs } : {}),
    };
  } finally {
    await engine.stop();
  }
}

export async function measureCompletion(
  options: { durationsMs?: number[]; naiveBudgetMs?: number; log?: (line: string) => void } = {},
): Promise<CompletionRun[]> {
  const runs: CompletionRun[] = [];
  for (const jobMs of options.durationsMs ?? DEFAULT_JOB_DURATIONS_MS) {
    for (const monitor of COMPLETION_MONITORS) {
      options.log?.(`completion: ${jobMs / 60_000} min job, ${monitor} ...`);
      runs.push(
        await runCompletion(
          monitor,
          jobMs,
          monitor === 'naive' ? (options.naiveBudgetMs ?? 20_000) : Infinity,
        ),
      );
    }
  }
  return runs;
}
