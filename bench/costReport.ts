import {
  BENCH_ROUTE_TIMEOUT,
  HOUR_MS,
  NAIVE_POLL_INTERVAL_MS,
  formatDuration,
  type CostComparison,
  type CostRun,
  type DetectionSweep,
} from './costPerJob';
import { fmt, markdownTable, metMark, ratio } from './markdownTable';

export const COST_TARGETS = {
  /** Largest history of one execution for a 24 h job. */
  largestHistory24h: 100,
  /** Naive / ours, total history events replayed, 1 h job. */
  replayRatio1h: 20,
  /** The default route's max poll interval (PT1M). */
  detectionDelayMs: 60_000,
} as const;

export interface CostTargetResult {
  name: string;
  target: string;
  measured: string;
  met: boolean | undefined;
  why?: string;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '—' : `${fmt(ms / 1000, ms % 1000 === 0 ? 0 : 1)} s`;
}

function runRow(job: string, run: CostRun, extrapolated?: CostComparison['naiveExtrapolated']): string[] {
  const cap = run.capped
    ? ` (capped at ${formatDuration(Math.round(run.capped.reachedMs / 60_000) * 60_000)} of job time after ${fmt(run.capped.budgetMs / 1000)} s)`
    : '';
  const ex = (measured: number, full: number | undefined): string =>
    full === undefined ? fmt(measured) : `${fmt(measured)} → ≈${fmt(full)}`;
  return [
    job,
    (run.monitor === 'dispatchJob' ? 'dispatchJob (ours)' : `naive 10 s loop`) + cap,
    fmt(run.executions),
    ex(run.episodes, extrapolated?.episodes),
    ex(run.activityCalls, extrapolated?.activityCalls),
    ex(run.timersCreated, extrapolated?.timersCreated),
    ex(run.largestHistory, extrapolated?.largestHistory),
    ex(run.historyEventsReplayed, extrapolated?.historyEventsReplayed),
    run.capped ? '—' : seconds(run.detectionDelayMs),
    `${fmt(run.wallMs / 1000, 2)} / ${fmt(run.cpuMs / 1000, 2)}`,
  ];
}

/** The naive figure to compare with: measured, or extrapolated to the full job when the run was capped. */
function naiveFull(c: CostComparison): Partial<CostRun> | undefined {
  if (!c.naive) return undefined;
  return c.naiveExtrapolated ? { ...c.naive, ...c.naiveExtrapolated } : c.naive;
}

export function evaluateCostTargets(results: CostComparison[]): CostTargetResult[] {
  const day = results.find((r) => r.jobMs === 24 * HOUR_MS);
  const hour = results.find((r) => r.jobMs === HOUR_MS);
  const out: CostTargetResult[] = [];
  out.push({
    name: 'Largest history of one execution, 24 h job',
    target: `< ${COST_TARGETS.largestHistory24h} events`,
    measured: day ? `${fmt(day.ours.largestHistory)} events` : 'not run',
    met: day ? day.ours.largestHistory < COST_TARGETS.largestHistory24h : undefined,
  });
  const hourNaive = hour ? naiveFull(hour) : undefined;
  const hourRatio =
    hour && hourNaive?.historyEventsReplayed !== undefined
      ? hourNaive.historyEventsReplayed / hour.ours.historyEventsReplayed
      : undefined;
  out.push({
    name: 'History events replayed, 1 h job, naive / ours',
    target: `>= ${COST_TARGETS.replayRatio1h}x`,
    measured: hourRatio === undefined ? 'not run' : `${fmt(hourRatio, 1)}x`,
    met: hourRatio === undefined ? undefined : hourRatio >= COST_TARGETS.replayRatio1h,
  });
  const delays = results.map((r) => r.ours.detectionDelayMs).filter((d): d is number => d !== undefined);
  const worst = delays.length > 0 ? Math.max(...delays) : undefined;
  out.push({
    name: 'Detection delay (job end -> status call that saw it), worst job length',
    target: `<= ${seconds(COST_TARGETS.detectionDelayMs)} (route max poll PT1M)`,
    measured: worst === undefined ? 'not run' : seconds(worst),
    met:
      worst === undefined || delays.length !== results.length
        ? undefined
        : worst <= COST_TARGETS.detectionDelayMs,
  });
  return out;
}

export interface CostSectionInput {
  results: CostComparison[];
  pollsPerExecution: number;
  /** Optional: the 24 h job again with fewer polls per execution, to show the knob that bounds the history. */
  knob?: { pollsPerExecution: number; run: CostRun };
  /** Optional: detection delay over job lengths that end at every phase of the 60 s poll interval. */
  sweep?: DetectionSweep;
}

export function renderCostSection(input: CostSectionInput): string {
  const { results } = input;
  const parts: string[] = [];
  parts.push('## 1. Orchestration cost per job vs job length');
  parts.push(
    [
      `The real \`dispatchJob\` orchestrator (default route policy: poll PT5S doubling to PT1M; timeout set to ${BENCH_ROUTE_TIMEOUT} so`,
      `the long jobs can finish; continueAsNew every ${input.pollsPerExecution} polls) against the Durable Functions docs' monitor`,
      `pattern (fixed ${NAIVE_POLL_INTERVAL_MS / 1000} s poll, one execution), both on the local Durable engine with a virtual clock and a`,
      'provider whose job exits 0 after the given time. Counters come from the engine: an episode is one orchestrator',
      'invocation (it replays the execution history so far); "largest history" is the longest history handed to one',
      'episode. Wall / CPU is this process running the whole simulation.',
    ].join('\n'),
  );
  const rows: string[][] = [];
  for (const c of results) {
    const job = formatDuration(c.jobMs);
    rows.push(runRow(job, c.ours));
    if (c.naive) rows.push(runRow(job, c.naive, c.naiveExtrapolated));
  }
  parts.push(
    markdownTable(
      [
        'Job',
        'Monitor',
        'Executions',
        'Episodes',
        'Activity calls',
        'Timers',
        'Largest history',
        'History events replayed',
        'Detection delay',
        'Wall / CPU s',
      ],
      rows,
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  if (results.some((c) => c.naive?.capped)) {
    parts.push(
      'Capped naive runs: the replay cost grows with the square of the job length, so the run was stopped at its real-time ' +
        'budget. "measured → ≈full" extrapolates to the full job: counts linearly, replayed events quadratically.',
    );
  }
  const ratioRows = results
    .filter((c) => c.naive)
    .map((c) => {
      const n = naiveFull(c)!;
      const mark = c.naiveExtrapolated ? ' (≈, extrapolated)' : '';
      return [
        formatDuration(c.jobMs) + mark,
        ratio(n.episodes, c.ours.episodes),
        ratio(n.activityCalls, c.ours.activityCalls),
        ratio(n.timersCreated, c.ours.timersCreated),
        ratio(n.largestHistory, c.ours.largestHistory),
        ratio(n.historyEventsReplayed, c.ours.historyEventsReplayed),
      ];
    });
  if (ratioRows.length > 0) {
    parts.push('Naive / ours:');
    parts.push(
      markdownTable(
        ['Job', 'Episodes', 'Activity calls', 'Timers', 'Largest history', 'History events replayed'],
        ratioRows,
        ['l', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
  }
  const targets = evaluateCostTargets(results);
  if (input.knob) {
    const k = input.knob;
    targets.push({
      name: `For comparison: largest history, 24 h job, with DISPATCH_POLLS_PER_EXECUTION=${k.pollsPerExecution}`,
      target: `< ${COST_TARGETS.largestHistory24h} events`,
      measured: `${fmt(k.run.largestHistory)} events (${fmt(k.run.executions)} executions, ${fmt(k.run.historyEventsReplayed)} replayed)`,
      met: k.run.largestHistory < COST_TARGETS.largestHistory24h,
    });
  }
  if (input.sweep) {
    const w = input.sweep;
    targets.push({
      name: `Detection delay over ${w.jobsMs.length} job lengths ${formatDuration(w.jobsMs[0] ?? 0)} + 0..${fmt(((w.jobsMs.at(-1) ?? 0) - (w.jobsMs[0] ?? 0)) / 1000)} s (every poll phase)`,
      target: `<= ${seconds(COST_TARGETS.detectionDelayMs)}`,
      measured: `min ${seconds(w.minMs)}, mean ${fmt(w.meanMs / 1000, 1)} s, max ${seconds(w.maxMs)}`,
      met: w.maxMs <= COST_TARGETS.detectionDelayMs,
    });
  }
  parts.push('Targets:');
  parts.push(
    markdownTable(
      ['Target', 'Goal', 'Measured', 'Result'],
      targets.map((t) => [t.name, t.target, t.measured, metMark(t.met)]),
    ),
  );
  return parts.join('\n\n');
}
