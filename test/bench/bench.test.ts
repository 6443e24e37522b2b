import { MINUTE_MS, measureCostPerJob, measureDetectionSweep } from '../../bench/costPerJob';
import { evaluateCostTargets, renderCostSection } from '../../bench/costReport';
import { activityChainBinding, measureReplayCost } from '../../bench/replayCost';
import { mergeResults, parseBenchArgs } from '../../bench/run';
import { measureThroughput, renderThroughputSection, type LoadTestResult } from '../../bench/throughput';
import { runCompletion } from '../../bench/completion';
import { renderCompletionSection } from '../../bench/completionReport';

// Smoke tests: every benchmark function runs at tiny sizes and returns numbers that make sense.

describe('replay cost', () => {
  it('builds 4k+2-event histories and measures CPU per episode on the real replay code', async () => {
    expect(activityChainBinding(2).history).toHaveLength(10);
    const rows = await measureReplayCost({ sizes: [10, 30], minCpuMs: 5, maxIterations: 100 });
    expect(rows.map((r) => r.historyEvents)).toEqual([10, 30]);
    for (const r of rows) {
      expect(r.iterations).toBeGreaterThan(0);
      expect(r.cpuMicrosPerEpisode).toBeGreaterThan(0);
      expect(r.cpuMicrosPerEpisodeWithParse).toBeGreaterThanOrEqual(r.cpuMicrosPerEpisode);
    }
  });

  it('rejects sizes too small for the history layout', async () => {
    await expect(measureReplayCost({ sizes: [3] })).rejects.toThrow(/>= 6/);
  });
});

describe('cost per job', () => {
  it('runs dispatchJob and the naive monitor on the durable engine with a virtual clock', async () => {
    const [row] = await measureCostPerJob({ durationsMs: [10 * MINUTE_MS], naiveBudgetMs: 15_000 });
    expect(row).toBeDefined();
    const { ours, naive } = row!;
    expect(ours.outcome).toBe('Succeeded');
    // Polls at 5, 15, 35, 75 s then every 60 s: the first one after 600 s is at 615 s.
    expect(ours.detectionDelayMs).toBe(15_000);
    expect(ours.largestHistory).toBeGreaterThan(0);
    expect(ours.historyEventsReplayed).toBeGreaterThanOrEqual(ours.largestHistory);
    expect(naive?.outcome).toBe('Succeeded');
    // Create + a status call at 0, 10, ..., 600 s.
    expect(naive?.activityCalls).toBe(62);
    expect(naive?.detectionDelayMs).toBe(0);
    expect(naive!.historyEventsReplayed).toBeGreaterThan(5 * ours.historyEventsReplayed);
    const targets = evaluateCostTargets([row!]);
    expect(targets.find((t) => t.name.startsWith('Detection'))?.met).toBe(true);
    expect(renderCostSection({ results: [row!], pollsPerExecution: 20 })).toContain(
      '| 10 min | dispatchJob (ours) |',
    );
  });

  it('sweeps detection delay over the poll phases', async () => {
    // 10 min + 0 / 20 / 40 s: the polls after 600 s are at 615 and 675 s.
    const w = await measureDetectionSweep({ baseMs: 10 * MINUTE_MS, stepMs: 20_000, count: 3 });
    expect(w.delaysMs).toEqual([15_000, 55_000, 35_000]);
    expect(w.maxMs).toBe(55_000);
  });

  it('caps a naive run at its budget and extrapolates it', async () => {
    const [row] = await measureCostPerJob({ durationsMs: [6 * 60 * MINUTE_MS], naiveBudgetMs: 1 });
    expect(row?.ours.outcome).toBe('Succeeded');
    expect(row?.ours.executions).toBeGreaterThan(1);
    expect(row?.naive?.capped).toBeDefined();
    expect(row?.naive?.capped?.reachedMs).toBeLessThan(6 * 60 * MINUTE_MS);
    expect(row?.naiveExtrapolated?.historyEventsReplayed).toBeGreaterThan(row!.naive!.historyEventsReplayed);
  });
});

describe('throughput', () => {
  const result = (over: Partial<LoadTestResult>): LoadTestResult => ({
    events: 20,
    seconds: 0.1,
    perSecond: 200,
    p50: 10,
    p95: 20,
    p99: 30,
    lost: 0,
    duplicated: 0,
    deadLettered: 0,
    ...over,
  });

  it('reports both runs and judges the targets', async () => {
    const calls: Array<{ events: number; rate?: number }> = [];
    const t = await measureThroughput({
      events: 20,
      runLoadTest: (o) => {
        calls.push({ events: o.events, ...(o.ratePerSecond !== undefined ? { rate: o.ratePerSecond } : {}) });
        return Promise.resolve(result({ events: o.events, perSecond: o.ratePerSecond ?? 250 }));
      },
    });
    // A start-up-only run, then full speed, then the fixed rate.
    expect(calls).toEqual([{ events: 10 }, { events: 20 }, { events: 20, rate: 50 }]);
    expect(t.available && t.runs.map((r) => r.cpuSecondsPer1000 >= 0)).toEqual([true, true]);
    const md = renderThroughputSection(t);
    expect(md).toContain('250.0');
    expect(md).not.toContain('MISSED');
  });

  it('uses the CPU and RSS the load test reports for the stack process, minus the start-up run', async () => {
    const t = await measureThroughput({
      events: 110,
      fixedRateEvents: 60,
      runLoadTest: (o) =>
        Promise.resolve(
          result({
            events: o.events,
            dispatcherCpuSeconds: 2 + o.events * 0.01,
            dispatcherPeakRssBytes: 100 * 2 ** 20,
          }),
        ),
    });
    if (!t.available) throw new Error(t.reason);
    // (2 + 1.1) - (2 + 0.1) CPU seconds over 100 events beyond the 10-event start-up run: 10 s per 1,000.
    expect(t.runs.map((r) => Math.round(r.cpuSecondsPer1000 * 100) / 100)).toEqual([10, 10]);
    expect(t.runs[0]?.usage).toMatchObject({
      source: expect.stringMatching(/reported/) as unknown,
      peakRssBytes: 100 * 2 ** 20,
    });
    expect(renderThroughputSection(t)).toContain('| 100 MB |');
  });

  it('says "not available" instead of inventing numbers when the load test fails', async () => {
    const t = await measureThroughput({
      events: 5,
      runLoadTest: () => Promise.reject(new Error('stack not ready')),
    });
    expect(t).toEqual({ available: false, reason: 'runLoadTest failed: stack not ready' });
    expect(renderThroughputSection(t)).toContain('Not available: runLoadTest failed: stack not ready');
  });

  it('rejects a malformed load-test result with the offending fields', async () => {
    const t = await measureThroughput({
      events: 5,
      runLoadTest: () => Promise.resolve(result({ p95: Number.NaN })),
    });
    expect(t.available).toBe(false);
    expect(!t.available && t.reason).toMatch(/p95=null/);
  });
});

describe('command line and results file', () => {
  it('parses flags and rejects bad ones with a clear message', () => {
    expect(parseBenchArgs(['--only', 'cost,replay', '--events', '50'])).toMatchObject({
      only: ['cost', 'replay'],
      events: 50,
    });
    const quiet = (): void => undefined;
    expect(() => parseBenchArgs(['--only', 'speed'], quiet)).toThrow(
      /--only expects one of cost, completion, throughput, replay, admission/,
    );
    expect(() => parseBenchArgs(['--events', '0'], quiet)).toThrow(/--events expects a positive integer/);
  });

  it('replaces only the sections that ran', () => {
    const first = mergeResults(undefined, new Map([['cost', 'COST-1']]));
    const second = mergeResults(first, new Map([['replay', 'REPLAY-1']]));
    expect(second).toContain('COST-1');
    expect(second).toContain('REPLAY-1');
    expect(second).toContain('_throughput: not run yet._');
    expect(mergeResults(second, new Map([['cost', 'COST-2']]))).not.toContain('COST-1');
  });
});

describe('completion: polling vs callback', () => {
  it('sees a callback job the instant it ends and polls a long one far less than the polled route', async () => {
    // One after the other: each run registers the app's functions under the one registration capture.
    const poll = await runCompletion('poll', 6 * 60 * MINUTE_MS);
    const callback = await runCompletion('callback', 6 * 60 * MINUTE_MS);
    expect(callback.detectionDelayMs).toBe(0);
    // Polls at ..., then every 60 s: the job ends 17 s after a whole minute, so it is seen 43 s later at best.
    expect(poll.detectionDelayMs).toBeGreaterThan(30_000);
    expect(callback.episodes * 5).toBeLessThanOrEqual(poll.episodes);
    expect(renderCompletionSection([poll, callback])).toContain('met');
  });

  it('runs the competent baseline with one execution per poll', async () => {
    const run = await runCompletion('competent', 10 * MINUTE_MS);
    expect(run.executions).toBe(run.activityCalls - 1);
    expect(run.largestHistory).toBeLessThan(20);
  });
});
