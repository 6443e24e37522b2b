import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { EmulatorCredential } from '../adapters/azure/emulatorCredential';
import { createTableClient } from '../adapters/ledger/createTableClient';
import type { AttemptOutcome } from '../adapters/ledger/eventLedger';
import { TableEventLedger } from '../adapters/ledger/tableEventLedger';
import { startAzurite } from '../devhost/dev/startAzurite';
import { createInvocationContextWithDurableClient } from '../devhost/durable/createInvocationContextWithDurableClient';
import { DurableEngine } from '../devhost/durable/durableEngine';
import { createRegistry, installRegistrationCapture } from '../devhost/registrations/captureRegistrations';
import { summarizeJobs } from '../functions/dashboard/summarizeJobs';
import { gatherCounts } from '../functions/stats/countSources';
import { computeRouteStats } from '../functions/stats/routeStats';
import { instancePagesFor } from '../functions/status/instancePages';
import { markdownTable } from './markdownTable';

/*
 * `npm run bench:dashboard [-- --jobs N]`: what GET /api/overview and GET /api/stats cost with N dispatch jobs
 * (default 10,000) in the offline stack's Durable engine, before (every instance of the task hub listed on
 * each call) and after (the ledger's tally plus the in-flight instances). Prints its numbers; writes nothing.
 */

const ROUTES = ['thumbnails', 'invoices', 'reports'];
const RUNS = 15;

function seedOrchestration(): ReturnType<typeof createRegistry> {
  const registry = createRegistry();
  const uninstall = installRegistrationCapture(registry);
  try {
    // Stands in for dispatchJob: the status API reads only the instance id, customStatus and output.
    df.app.orchestration('dispatchJob', function* (context: OrchestrationContext) {
      const input = context.df.getInput<{ status: Record<string, unknown>; running: boolean }>();
      context.df.setCustomStatus(input.status);
      if (input.running) yield context.df.waitForExternalEvent('never');
      return { outcome: input.status.phase, description: 'exit code 3' };
    });
  } finally {
    uninstall();
  }
  return registry;
}

interface SeedJob {
  instanceId: string;
  route: string;
  eventId: string;
  phase: string;
  reason?: string;
}

function seedJobs(count: number, running: number): SeedJob[] {
  return Array.from({ length: count }, (_, n) => {
    const route = ROUTES[n % ROUTES.length] ?? 'thumbnails';
    const phase =
      n < running ? 'Watching' : n % 10 === 0 ? 'DeadLettered' : n % 10 === 1 ? 'Requeued' : 'Succeeded';
    return {
      instanceId: `${route}-${n.toString(16).padStart(16, '0')}-a1`,
      route,
      eventId: `evt-${n}`,
      phase,
      ...(phase === 'DeadLettered' ? { reason: n % 20 === 0 ? 'JobFailed' : 'Timeout' } : {}),
    };
  });
}

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** Counts the bytes the Durable management API answers (what a listing costs the app, besides time). */
function countDurableBytes(base: string): { read(): number } {
  const original = globalThis.fetch;
  let bytes = 0;
  globalThis.fetch = async (input, init) => {
    const response = await original(input, init);
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(base)) return response;
    const body = await response.arrayBuffer();
    bytes += body.byteLength;
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return { read: () => bytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const jobsFlag = process.argv.indexOf('--jobs');
  const count = jobsFlag > 0 ? Number(process.argv[jobsFlag + 1]) : 10_000;
  if (!Number.isInteger(count) || count < 100)
    throw new Error(`--jobs: expected an integer >= 100, got ${count}`);
  const runningCount = Math.round(count / 100);
  const azurite = await startAzurite();
  const engine = new DurableEngine();
  engine.registerFromRegistry(seedOrchestration());
  await engine.start();
  try {
    const ledger = new TableEventLedger({
      client: createTableClient(
        { kind: 'connectionString', connectionString: azurite.connectionString },
        new EmulatorCredential(),
        'benchledger',
      ),
      createTable: true,
    });
    const jobs = seedJobs(count, runningCount);
    let started = performance.now();
    for (const job of jobs) {
      const status = { phase: job.phase, route: job.route, eventId: job.eventId, attempt: 1, maxAttempts: 2 };
      engine.startNew('dispatchJob', {
        instanceId: job.instanceId,
        input: {
          status: job.reason ? { ...status, reason: job.reason } : status,
          running: job.phase === 'Watching',
        },
      });
    }
    await engine.waitForIdle();
    process.stdout.write(
      `seeded ${count} orchestrations in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );

    // What each start and settlement now also writes: the ledger rows and the tally (as the app records them).
    const settleMs: number[] = [];
    started = performance.now();
    await pool(jobs, 16, async (job) => {
      const key = {
        eventId: job.eventId,
        source: 'urn:bench',
        route: job.route,
        attempt: 1,
        instanceId: job.instanceId,
      };
      await ledger.recordAttemptStarted({ ...key, startedAt: new Date().toISOString() });
      if (job.phase === 'Watching') return;
      const t = performance.now();
      await ledger.recordAttemptSettled({
        ...key,
        outcome: job.phase as AttemptOutcome,
        settledAt: new Date().toISOString(),
        ...(job.reason ? { reason: job.reason } : {}),
      });
      settleMs.push(performance.now() - t);
    });
    process.stdout.write(
      `recorded ${count} starts and ${settleMs.length} settlements in the ledger in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
        `(settlement incl. tally: p50 ${median(settleMs).toFixed(1)} ms, 16 writers)\n\n`,
    );

    const context = createInvocationContextWithDurableClient(engine);
    const base = engine.clientBindingData().rpcBaseUrl ?? '';
    const durableBytes = countDurableBytes(new URL(base).origin);
    const measure = async (label: string, call: () => Promise<unknown>): Promise<string[]> => {
      const times: number[] = [];
      let responseBytes = 0;
      const before = durableBytes.read();
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        responseBytes = JSON.stringify(await call()).length;
        times.push(performance.now() - t);
      }
      const perCall = Math.round((durableBytes.read() - before) / RUNS);
      return [
        label,
        median(times).toFixed(1),
        Math.max(...times).toFixed(1),
        perCall.toLocaleString('en'),
        responseBytes.toLocaleString('en'),
      ];
    };
    const overview = async (withLedger: boolean) =>
      summarizeJobs(
        await gatherCounts(instancePagesFor(context), ROUTES, withLedger ? ledger : undefined),
        200,
      );
    const stats = async (withLedger: boolean) =>
      computeRouteStats(
        await gatherCounts(instancePagesFor(context), ROUTES, withLedger ? ledger : undefined),
        ROUTES,
      );
    // Key order differs (the tally lists outcomes first); the counts must not.
    const same =
      isDeepStrictEqual((await overview(true)).routes, (await overview(false)).routes) &&
      isDeepStrictEqual(await stats(true), await stats(false));
    const rows = [
      await measure('GET /api/overview, before (whole hub listed)', () => overview(false)),
      await measure('GET /api/overview, after (tally + in-flight)', () => overview(true)),
      await measure('GET /api/stats, before (whole hub listed)', () => stats(false)),
      await measure('GET /api/stats, after (tally + in-flight)', () => stats(true)),
    ];
    process.stdout.write(
      `${count.toLocaleString('en')} jobs (${runningCount} running), ${RUNS} calls each; counts identical before/after: ${same ? 'yes' : 'NO'}\n\n`,
    );
    process.stdout.write(
      `${markdownTable(['call', 'p50 ms', 'max ms', 'Durable API bytes/call', 'response bytes'], rows)}\n`,
    );
    if (!same) process.exitCode = 1;
  } finally {
    await engine.stop();
    await azurite.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
