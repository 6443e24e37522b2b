import type { FunctionHandler } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { captureHandlers, requireHandler } from './captureHandlers';

/*
 * CPU cost of one orchestrator episode as a function of history size, measured on durable-functions' own replay
 * code (the handler `df.app.orchestration` builds). Every episode replays the whole history, so this cost times
 * the number of episodes is what a long monitor loop pays.
 */

export interface ReplayCostOptions {
  /** Target history sizes (events); default 10, 100, 1,000. */
  sizes?: number[];
  /** CPU time to spend per size (split over the rounds), so small sizes get enough episodes; default 1 s. */
  minCpuMs?: number;
  /** Upper bound on episodes per size; default 20,000. */
  maxIterations?: number;
}

export interface ReplayCostRow {
  /** The size asked for. */
  requestedEvents: number;
  /** Events in the synthetic history actually built (the layout fixes the count to 4k+2). */
  historyEvents: number;
  /** Activity results replayed per episode. */
  activities: number;
  iterations: number;
  /**
   * CPU (user+system) per episode for the handler call alone, history already parsed: median of the rounds.
   * Process-wide, so V8's helper threads (GC, compiler) are included and it can exceed wall time.
   */
  cpuMicrosPerEpisode: number;
  /** Lowest and highest round. */
  cpuMicrosRange: [number, number];
  /** Same, including JSON.parse of the binding the way the worker receives it. */
  cpuMicrosPerEpisodeWithParse: number;
  /** Wall time per episode (handler only), median of the rounds. */
  wallMicrosPerEpisode: number;
}

const CHAIN_ORCHESTRATOR = 'benchReplayChain';
const STEP_ACTIVITY = 'benchStep';
const START_MS = Date.UTC(2026, 0, 1);

/** An activity chain: each step's input depends on the previous result, so replay has to feed every result back. */
function* activityChain(context: OrchestrationContext): Generator<df.Task, number, unknown> {
  const steps = context.df.getInput<number>();
  let acc = 0;
  for (let i = 0; i < steps; i++) {
    acc = (yield context.df.callActivity(STEP_ACTIVITY, acc)) as number;
  }
  return acc;
}

interface BindingJson {
  history: Record<string, unknown>[];
  input: unknown;
  instanceId: string;
  isReplaying: boolean;
  parentInstanceId: string;
  upperSchemaVersion: number;
  upperSchemaVersionNew: number;
  longRunningTimerIntervalDuration: string;
  maximumShortTimerDuration: string;
  defaultHttpAsyncRequestSleepTimeMillseconds: number;
}

/**
 * A history the way the extension sends it on the episode that delivers the result of activity `activities - 1`:
 * episode 0 = OrchestratorStarted, ExecutionStarted, TaskScheduled, OrchestratorCompleted; every later episode =
 * OrchestratorStarted, TaskCompleted, TaskScheduled, OrchestratorCompleted; then the new OrchestratorStarted and
 * TaskCompleted (not yet played). Total 4k + 2 events for k activities.
 */
export function activityChainBinding(activities: number): BindingJson {
  if (!Number.isInteger(activities) || activities < 1) {
    throw new RangeError(`activityChainBinding: activities must be an integer >= 1, got ${activities}`);
  }
  const history: Record<string, unknown>[] = [];
  let eventId = 0;
  const ts = (episode: number): string => new Date(START_MS + episode * 1000).toISOString();
  const push = (e: Record<string, unknown>, played: boolean, episode: number): void => {
    history.push({ EventId: -1, IsPlayed: played, Timestamp: ts(episode), ...e });
  };
  // Input: run one step more than delivered, so the measured episode schedules the next activity (not done).
  const input = activities + 1;
  push({ EventType: 12 }, true, 0);
  push({ EventType: 0, Name: CHAIN_ORCHESTRATOR, Input: JSON.stringify(input), Version: '' }, true, 0);
  push({ EventType: 4, EventId: eventId++, Name: STEP_ACTIVITY, Input: '0' }, true, 0);
  push({ EventType: 13 }, true, 0);
  for (let k = 1; k < activities; k++) {
    push({ EventType: 12 }, true, k);
    push({ EventType: 5, TaskScheduledId: k - 1, Result: JSON.stringify(k) }, true, k);
    push({ EventType: 4, EventId: eventId++, Name: STEP_ACTIVITY, Input: JSON.stringify(k) }, true, k);
    push({ EventType: 13 }, true, k);
  }
  push({ EventType: 12 }, false, activities);
  push(
    { EventType: 5, TaskScheduledId: activities - 1, Result: JSON.stringify(activities) },
    false,
    activities,
  );
  return {
    history,
    input,
    instanceId: 'bench-replay',
    isReplaying: true,
    parentInstanceId: '',
    upperSchemaVersion: 1,
    upperSchemaVersionNew: 2,
    longRunningTimerIntervalDuration: '3.00:00:00',
    maximumShortTimerDuration: '6.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
}

interface HandlerState {
  isDone: boolean;
  actions: unknown[][];
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const noLog = (): void => undefined;

/** Measurement rounds per history size. */
export const REPLAY_ROUNDS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function runEpisode(handler: FunctionHandler, binding: unknown): Promise<HandlerState> {
  const context = new df.DummyOrchestrationContext(CHAIN_ORCHESTRATOR, 'bench', noLog);
  return (await handler(binding, context)) as HandlerState;
}

/** Checks the episode really replayed the whole chain: not done, and every activity (plus the next) scheduled. */
async function verify(handler: FunctionHandler, activities: number): Promise<void> {
  const state = await runEpisode(handler, activityChainBinding(activities));
  const scheduled = state.actions.flat().length;
  if (state.isDone || scheduled !== activities + 1) {
    throw new Error(
      `replay check failed for ${activities} activities: isDone=${String(state.isDone)}, ${scheduled} actions (expected ${activities + 1})`,
    );
  }
}

export async function measureReplayCost(options: ReplayCostOptions = {}): Promise<ReplayCostRow[]> {
  const sizes = options.sizes ?? [10, 100, 1000];
  const minCpuMicros = (options.minCpuMs ?? 1000) * 1000;
  const maxIterations = options.maxIterations ?? 20_000;
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < 6) throw new RangeError(`replay sizes must be integers >= 6, got ${s}`);
  }
  const handler = requireHandler(
    await captureHandlers(() => df.app.orchestration(CHAIN_ORCHESTRATOR, activityChain)),
    CHAIN_ORCHESTRATOR,
  );
  const rows: ReplayCostRow[] = [];
  for (const requested of sizes) {
    const activities = Math.max(1, Math.round((requested - 2) / 4));
    await verify(handler, activities);
    const json = JSON.stringify(activityChainBinding(activities));
    const historyEvents = 4 * activities + 2;

    // Warm-up (JIT) so the first size is not charged for compiling the replay code.
    for (let i = 0; i < 20; i++) await runEpisode(handler, JSON.parse(json));

    // Several rounds, reported by their median: on a shared machine one round can be slowed by other work.
    // Each episode gets a fresh copy of the binding (the library parses timestamps in place).
    const rounds: Array<{ iterations: number; handlerCpu: number; parseCpu: number; wall: number }> = [];
    const batch = Math.max(1, Math.min(200, Math.floor(20_000 / historyEvents)));
    const perRoundCpu = minCpuMicros / REPLAY_ROUNDS;
    const perRoundMax = Math.max(1, Math.floor(maxIterations / REPLAY_ROUNDS));
    for (let r = 0; r < REPLAY_ROUNDS; r++) {
      const round = { iterations: 0, handlerCpu: 0, parseCpu: 0, wall: 0 };
      while ((round.handlerCpu < perRoundCpu || round.iterations < 2) && round.iterations < perRoundMax) {
        const n = Math.min(batch, perRoundMax - round.iterations);
        const p0 = cpuMicros();
        const bindings: unknown[] = [];
        for (let i = 0; i < n; i++) bindings.push(JSON.parse(json));
        round.parseCpu += cpuMicros() - p0;
        const w0 = process.hrtime.bigint();
        const c0 = cpuMicros();
        for (const b of bindings) await runEpisode(handler, b);
        round.handlerCpu += cpuMicros() - c0;
        round.wall += Number(process.hrtime.bigint() - w0) / 1000;
        round.iterations += n;
      }
      rounds.push(round);
    }
    const perEpisode = rounds.map((r) => r.handlerCpu / r.iterations);
    rows.push({
      requestedEvents: requested,
      historyEvents,
      activities,
      iterations: rounds.reduce((a, r) => a + r.iterations, 0),
      cpuMicrosPerEpisode: median(perEpisode),
      cpuMicrosPerEpisodeWithParse: median(rounds.map((r) => (r.handlerCpu + r.parseCpu) / r.iterations)),
      cpuMicrosRange: [Math.min(...perEpisode), Math.max(...perEpisode)],
      wallMicrosPerEpisode: median(rounds.map((r) => r.wall / r.iterations)),
    });
  }
  return rows;
}
