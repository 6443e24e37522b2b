import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { defaultAppRoot, startDevStack, type DevStack } from './startDevStack';

export interface LoadTestOptions {
  /** Events to send; default 1000. */
  events?: number;
  /** Send rate; default: as fast as the broker takes batches. */
  ratePerSecond?: number;
  /** Persist state (measures the cost of --state); default in-memory. */
  persist?: boolean;
  /** Give up waiting for settlements after this long; default 10 min. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface LoadTestResult {
  events: number;
  /** From the first send to the last settlement. */
  seconds: number;
  /** Settled events per second over `seconds`. */
  perSecond: number;
  /** Send-to-settled latency percentiles, milliseconds. */
  p50: number;
  p95: number;
  p99: number;
  /** Events that never settled within the timeout. */
  lost: number;
  /** Events settled more than once (more than one final result). */
  duplicated: number;
  /** Events whose final result was DeadLettered (instant jobs should all succeed). */
  deadLettered: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * 1,000 (by default) instant-job events through the whole dev stack: Service Bus emulator -> trigger ->
 * one orchestration each -> ACI emulator job -> settlement. Settlements are counted from the results topic
 * (`dispatcher.job.settled`), so nothing inside the app is instrumented.
 */
export async function runLoadTest(options: LoadTestOptions = {}): Promise<LoadTestResult> {
  const total = options.events ?? 1000;
  const log = options.log ?? (() => undefined);
  const appRoot = defaultAppRoot();
  const stateDir = options.persist ? mkdtempSync(join(tmpdir(), 'dispatcher-load-')) : undefined;
  let stack: DevStack | undefined;
  let client: ServiceBusClient | undefined;
  try {
    stack = await startDevStack({
      appRoot,
      httpPort: 0,
      serviceBusPort: 0,
      aciPort: 0,
      routesFile: join(appRoot, 'devhost', 'config', 'loadTest.routes.json'),
      ...(stateDir ? { stateDir } : {}),
      log: (record) => {
        if (record.level === 'error' || record.level === 'critical')
          log(`[${record.functionName ?? 'host'}] ${record.message.split('\n')[0]}`);
      },
    });
    client = new ServiceBusClient(stack.serviceBusConnectionString);
    const sentAt = new Map<string, number>();
    const settledAt = new Map<string, number>();
    let duplicated = 0;
    let deadLettered = 0;
    const results = client.createReceiver('results', 'observer', { receiveMode: 'receiveAndDelete' });
    const done = new Promise<void>((resolve) => {
      const subscription = results.subscribe(
        {
          processMessage: (message: ServiceBusReceivedMessage) => {
            const raw: unknown = message.body;
            const body = (Buffer.isBuffer(raw) ? JSON.parse(raw.toString('utf8')) : raw) as {
              data?: { eventId?: string; outcome?: string };
            };
            const eventId = body.data?.eventId;
            if (eventId && sentAt.has(eventId) && body.data?.outcome !== 'Requeued') {
              if (settledAt.has(eventId)) duplicated++;
              else {
                settledAt.set(eventId, Date.now());
                if (body.data?.outcome === 'DeadLettered') deadLettered++;
              }
              if (settledAt.size === total) {
                void subscription.close();
                resolve();
              }
            }
            return Promise.resolve();
          },
          processError: () => Promise.resolve(),
        },
        { maxConcurrentCalls: 16 },
      );
    });

    const sender = client.createSender('dispatch');
    const started = Date.now();
    const batchSize = options.ratePerSecond
      ? Math.max(1, Math.min(100, Math.ceil(options.ratePerSecond / 10)))
      : 100;
    for (let i = 0; i < total; i += batchSize) {
      const batch = [];
      for (let j = i; j < Math.min(total, i + batchSize); j++) {
        const id = `load-${started}-${j}`;
        batch.push({
          body: Buffer.from(
            JSON.stringify({
              specversion: '1.0',
              id,
              source: 'urn:dispatcher:load',
              type: 'load.instant',
              data: { n: j },
            }),
          ),
          messageId: id,
          contentType: 'application/cloudevents+json',
        });
      }
      const now = Date.now();
      for (const m of batch) sentAt.set(m.messageId, now);
      await sender.sendMessages(batch);
      if (options.ratePerSecond) {
        const due = started + ((i + batch.length) / options.ratePerSecond) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      log(`sent ${Math.min(total, i + batchSize)}/${total}`);
    }
    await sender.close();

    const timeoutMs = options.timeoutMs ?? 600_000;
    let timer: NodeJS.Timeout | undefined;
    const progress = setInterval(() => log(`settled ${settledAt.size}/${total}`), 5000);
    await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearInterval(progress);
    if (timer) clearTimeout(timer);
    // A duplicate settlement would arrive shortly after the first: give it a moment to show up.
    await new Promise((r) => setTimeout(r, 2000));
    await results.close();

    const latencies = [...settledAt].map(([id, at]) => at - (sentAt.get(id) ?? at)).sort((a, b) => a - b);
    const last = Math.max(started, ...settledAt.values());
    const seconds = (last - started) / 1000;
    return {
      events: total,
      seconds: Math.round(seconds * 10) / 10,
      perSecond: Math.round((settledAt.size / Math.max(seconds, 0.001)) * 10) / 10,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      lost: total - settledAt.size,
      duplicated,
      deadLettered,
    };
  } finally {
    await client?.close();
    await stack?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  // The app's own console output goes to stderr; stdout carries only the result line.
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr);
  const events = Number(process.argv[2] ?? 1000);
  const rate = process.argv[3] ? Number(process.argv[3]) : undefined;
  runLoadTest({
    events,
    ...(rate ? { ratePerSecond: rate } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (result) => {
      stdoutWrite(`${JSON.stringify(result)}\n`);
      process.exit(result.lost === 0 && result.duplicated === 0 ? 0 : 1);
    },
    (err: unknown) => {
      process.stderr.write(
        `load test failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
