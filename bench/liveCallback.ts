import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ServiceBusClient } from '@azure/service-bus';
import Long from 'long';
import { startDevStack } from '../devhost/dev/startDevStack';

/*
 * Callback detection on the real local stack: jobs are local processes started by the ACI emulator that POST to
 * the local host's callback endpoint just before they exit. Measured per job: the job's own clock just before its
 * callback -> the settlement time in its `dispatcher.job.settled` event (an upper bound on detection: it also
 * includes collecting the log and deleting the group). Same machine, so both clocks are the same clock.
 */

export interface LiveCallbackResult {
  jobs: number;
  /** Callback sent -> settled, ms. */
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
  /** Event sent -> settled, ms (median). */
  sendToSettledP50Ms: number;
}

const JOB = [
  'const body = JSON.stringify({ output: { sentAt: Date.now() } });',
  "fetch(process.env.DISPATCH_CALLBACK_URL, { method: 'POST', body,",
  "  headers: { authorization: 'Bearer ' + process.env.DISPATCH_CALLBACK_TOKEN, 'content-type': 'application/json' } })",
  '  .then((r) => process.exit(r.status === 202 ? 0 : 7), () => process.exit(8));',
].join('\n');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export async function measureLiveCallback(
  options: { jobs?: number; spacingMs?: number; log?: (line: string) => void } = {},
): Promise<LiveCallbackResult> {
  const total = options.jobs ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'dispatcher-callback-bench-'));
  const routesFile = join(dir, 'routes.json');
  const route = {
    name: 'bench-callback',
    match: { type: 'bench.callback' },
    completion: 'callback',
    job: { image: 'bench/callback:1', command: ['node', '-e', JOB], cpu: 0.5, memoryInGB: 0.5 },
    policy: { timeout: 'PT5M', maxAttempts: 1, poll: { initial: 'PT30S', max: 'PT1M' } },
  };
  writeFileSync(routesFile, JSON.stringify({ routes: [route] }));
  const stack = await startDevStack({
    httpPort: 0,
    serviceBusPort: 0,
    aciPort: 0,
    routesFile,
    settings: { DISPATCH_SIGNING_KEY: randomBytes(32).toString('base64') },
    aciQuota: { containerGroups: 1e6, cores: 1e6, createsPer5Min: 1e6, createsPerHour: 1e6 },
    log: () => undefined,
  });
  const client = new ServiceBusClient(stack.serviceBusConnectionString);
  try {
    const sender = client.createSender('dispatch');
    const sentAt = new Map<string, number>();
    for (let i = 0; i < total; i++) {
      const id = `bench-callback-${Date.now()}-${i}`;
      sentAt.set(id, Date.now());
      await sender.sendMessages({
        body: Buffer.from(
          JSON.stringify({ specversion: '1.0', id, source: '/bench', type: 'bench.callback' }),
        ),
        contentType: 'application/cloudevents+json',
      });
      await new Promise((r) => setTimeout(r, options.spacingMs ?? 300));
    }
    await sender.close();
    const receiver = client.createReceiver('results', 'observer');
    const until = Date.now() + 60_000;
    type Settled = { data: { eventId: string; outcome: string; output?: { sentAt?: number } }; time: string };
    let settled: Settled[] = [];
    while (Date.now() < until) {
      const messages = await receiver.peekMessages(1000, { fromSequenceNumber: Long.fromNumber(0) });
      settled = messages
        .map((m) => (Buffer.isBuffer(m.body) ? JSON.parse(m.body.toString('utf8')) : m.body) as Settled)
        .filter((e) => sentAt.has(e.data.eventId));
      if (settled.length >= total) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await receiver.close();
    const failed = settled.filter(
      (e) => e.data.outcome !== 'Succeeded' || e.data.output?.sentAt === undefined,
    );
    if (settled.length < total || failed.length > 0)
      throw new Error(
        `${settled.length}/${total} callback jobs settled, ${failed.length} without a callback`,
      );
    const delays = settled.map((e) => Date.parse(e.time) - e.data.output!.sentAt!);
    const endToEnd = settled.map((e) => Date.parse(e.time) - sentAt.get(e.data.eventId)!);
    options.log?.(`live callback: ${total} jobs settled`);
    return {
      jobs: total,
      p50Ms: percentile(delays, 50),
      p90Ms: percentile(delays, 90),
      maxMs: Math.max(...delays),
      sendToSettledP50Ms: percentile(endToEnd, 50),
    };
  } finally {
    await client.close();
    await stack.close();
  }
}
