import { runLoadTest as runLocalLoadTest, type LoadTestResult } from '../devhost/dev/loadTest';
import { fmt, markdownTable, metMark } from './markdownTable';

/*
 * Events per second and send-to-settled latency through the real local stack (`dispatcher dev`), via
 * devhost/dev/loadTest.ts. When the load test fails, this section says so instead of printing numbers.
 */

export const DEFAULT_LOAD_EVENTS = 1000;
export const FIXED_RATE_PER_SECOND = 50;
export const THROUGHPUT_TARGETS = { perSecond: 200, p95AtFixedRateMs: 1000 } as const;

export type { LoadTestResult };

export type RunLoadTest = (options: {
  events: number;
  ratePerSecond?: number;
  log?: (line: string) => void;
}) => Promise<LoadTestResult>;

export interface ProcessUsage {
  /** Where the figures come from: the load test's own report of the dispatcher process, or this process. */
  source: string;
  cpuSeconds: number;
  peakRssBytes: number;
}

export interface LoadRun {
  label: string;
  ratePerSecond?: number;
  result: LoadTestResult;
  usage: ProcessUsage;
  /** CPU per 1,000 events beyond start-up (the baseline run's CPU subtracted when measured in-process). */
  cpuSecondsPer1000: number;
}

export type ThroughputResult =
  | { available: true; runs: LoadRun[]; /** Usage of a start-up-only run. */ baseline: ProcessUsage }
  | { available: false; reason: string };

export interface ThroughputOptions {
  events: number;
  /** Events for the fixed-rate run; default min(events, 500) (10 s at 50/s). */
  fixedRateEvents?: number;
  /** Override the load test (tests); default: devhost/dev/loadTest's runLoadTest. */
  runLoadTest?: RunLoadTest;
  log?: (line: string) => void;
}

const NUMERIC_FIELDS = ['events', 'seconds', 'perSecond', 'p50', 'p95', 'p99', 'lost', 'duplicated'] as const;

function checkResult(value: unknown): LoadTestResult {
  if (typeof value !== 'object' || value === null)
    throw new Error(`runLoadTest returned ${String(value)}, expected an object`);
  const r = value as Record<string, unknown>;
  const bad = NUMERIC_FIELDS.filter((k) => typeof r[k] !== 'number' || !Number.isFinite(r[k]));
  if (bad.length > 0)
    throw new Error(
      `runLoadTest result: ${bad.map((k) => `${k}=${JSON.stringify(r[k])}`).join(', ')} (expected finite numbers)`,
    );
  return value as LoadTestResult;
}

/** Events of the start-up-only run whose CPU is subtracted to get the marginal cost per event. */
export const BASELINE_EVENTS = 10;

const SOURCE_IN_PROCESS = 'bench process (stack in-process)';
const SOURCE_REPORTED = 'stack process (reported by the load test)';

/** CPU and peak RSS from the load test's report when it gives them, else measured on this process. */
function usageFrom(result: LoadTestResult, own: { cpuSeconds: number; peakRssBytes: number }): ProcessUsage {
  const cpu = result.dispatcherCpuSeconds;
  const rss = result.dispatcherPeakRssBytes;
  if (cpu !== undefined && rss !== undefined) {
    return { source: SOURCE_REPORTED, cpuSeconds: cpu, peakRssBytes: rss };
  }
  return { source: SOURCE_IN_PROCESS, ...own };
}

/**
 * Runs `run` with this process's CPU and peak RSS measured, and its stdout discarded: the local stack runs in this
 * process and the app logs every settlement there, while stdout must carry only the tables.
 */
async function measured(
  run: () => Promise<unknown>,
): Promise<{ value: unknown; cpuSeconds: number; peakRssBytes: number }> {
  const cpu0 = process.cpuUsage();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  try {
    const value = await run();
    const cpu = process.cpuUsage(cpu0);
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes: peak };
  } finally {
    process.stdout.write = write;
    clearInterval(sampler);
  }
}

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const runLoadTest = options.runLoadTest ?? runLocalLoadTest;
  const log = options.log ?? (() => undefined);
  const runs: LoadRun[] = [];
  // The load test logs every sent batch; its periodic "settled n/N" lines are enough progress.
  const progress = (line: string): void => {
    if (!line.startsWith('sent ')) log(`throughput:   ${line}`);
  };
  // Starting and stopping the stack costs CPU too; a tiny run measures that so it can be taken out.
  log(`throughput: ${BASELINE_EVENTS}-event run to measure start-up CPU ...`);
  let baseline: ProcessUsage | undefined;
  try {
    const base = await measured(() => runLoadTest({ events: BASELINE_EVENTS, log: progress }));
    baseline = usageFrom(checkResult(base.value), base);
  } catch (err) {
    return {
      available: false,
      reason: `runLoadTest failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const plans: Array<{ label: string; events: number; ratePerSecond?: number }> = [
    { label: 'as fast as possible', events: options.events },
    {
      label: `fixed ${FIXED_RATE_PER_SECOND} events/s`,
      events: options.fixedRateEvents ?? Math.min(options.events, 500),
      ratePerSecond: FIXED_RATE_PER_SECOND,
    },
  ];
  for (const plan of plans) {
    log(`throughput: ${plan.events} events, ${plan.label} ...`);
    try {
      const m = await measured(() =>
        runLoadTest({
          events: plan.events,
          log: progress,
          ...(plan.ratePerSecond !== undefined ? { ratePerSecond: plan.ratePerSecond } : {}),
        }),
      );
      const result = checkResult(m.value);
      const usage = usageFrom(result, m);
      const marginal =
        usage.source === baseline.source && plan.events > BASELINE_EVENTS
          ? Math.max(0, usage.cpuSeconds - baseline.cpuSeconds) / (plan.events - BASELINE_EVENTS)
          : usage.cpuSeconds / Math.max(1, plan.events);
      runs.push({
        label: plan.label,
        ...(plan.ratePerSecond !== undefined ? { ratePerSecond: plan.ratePerSecond } : {}),
        result,
        usage,
        cpuSecondsPer1000: marginal * 1000,
      });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (runs.length === 0) return { available: false, reason: `runLoadTest failed: ${why}` };
      log(`throughput: ${plan.label} failed: ${why}`);
    }
  }
  return { available: true, runs, baseline };
}

function deadLettered(r: LoadRun): string {
  return fmt(r.result.deadLettered);
}

function ms(value: number): string {
  return `${fmt(value, value < 10 ? 1 : 0)} ms`;
}

export function renderThroughputSection(t: ThroughputResult): string {
  const parts = ['## 2. Throughput and latency on the local stack'];
  if (!t.available) {
    parts.push(`Not available: ${t.reason}. No numbers are reported for this section.`);
    return parts.join('\n\n');
  }
  const reported = t.runs.some((r) => r.usage.source === SOURCE_REPORTED);
  parts.push(
    [
      'Events sent to the Service Bus emulator and carried through the local Functions host, Durable engine and ACI',
      'emulator until settled (`devhost/dev/loadTest.ts`; each job is a `true` child process of the ACI emulator,',
      'polled from PT0.2S). Latency is send -> settled per event.',
      reported
        ? 'The stack runs in a process of its own: CPU is that process and everything it ran (ACI emulator, job ' +
          'processes), peak RSS is the stack process alone (both reported by the load test).'
        : 'The stack runs in the bench process: CPU and peak RSS are those of the bench process (Functions host, ' +
          'Durable engine, emulators and the load generator; job child processes excluded).',
      `CPU per 1,000 events is marginal: the CPU of a ${BASELINE_EVENTS}-event run (stack start-up and shutdown,`,
      `${fmt(t.baseline.cpuSeconds, 2)} s) is subtracted.`,
    ].join('\n'),
  );
  parts.push(
    markdownTable(
      [
        'Run',
        'Events',
        'Seconds',
        'Events/s',
        'p50',
        'p95',
        'p99',
        'Lost',
        'Duplicated',
        'Dead-lettered',
        'CPU s / 1,000 events',
        'Peak RSS',
        'CPU/RSS of',
      ],
      t.runs.map((r) => [
        r.label,
        fmt(r.result.events),
        fmt(r.result.seconds, 2),
        fmt(r.result.perSecond, 1),
        ms(r.result.p50),
        ms(r.result.p95),
        ms(r.result.p99),
        fmt(r.result.lost),
        fmt(r.result.duplicated),
        deadLettered(r),
        fmt(r.cpuSecondsPer1000, 2),
        `${fmt(r.usage.peakRssBytes / 2 ** 20)} MB`,
        r.usage.source,
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  const fast = t.runs.find((r) => r.ratePerSecond === undefined);
  const fixed = t.runs.find((r) => r.ratePerSecond === FIXED_RATE_PER_SECOND);
  parts.push('Targets:');
  parts.push(
    markdownTable(
      ['Target', 'Goal', 'Measured', 'Result'],
      [
        [
          'Throughput',
          `>= ${THROUGHPUT_TARGETS.perSecond} events/s`,
          fast ? `${fmt(fast.result.perSecond, 1)} events/s` : 'not run',
          metMark(fast ? fast.result.perSecond >= THROUGHPUT_TARGETS.perSecond : undefined),
        ],
        [
          `p95 send -> settled at ${FIXED_RATE_PER_SECOND} events/s`,
          `< ${ms(THROUGHPUT_TARGETS.p95AtFixedRateMs)}`,
          fixed ? ms(fixed.result.p95) : 'not run',
          metMark(fixed ? fixed.result.p95 < THROUGHPUT_TARGETS.p95AtFixedRateMs : undefined),
        ],
        [
          'Nothing lost, duplicated or dead-lettered (instant jobs all exit 0)',
          '0 / 0 / 0',
          t.runs
            .map((r) => `${fmt(r.result.lost)} / ${fmt(r.result.duplicated)} / ${deadLettered(r)}`)
            .join(', '),
          metMark(
            t.runs.every(
              (r) => r.result.lost === 0 && r.result.duplicated === 0 && (r.result.deadLettered ?? 0) === 0,
            ),
          ),
        ],
      ],
    ),
  );
  return parts.join('\n\n');
}
