import { ServiceBusClient, type ServiceBusMessage } from '@azure/service-bus';
import { startServiceBusEmulator } from './startServiceBusEmulator';

export interface ServiceBusLoadTestOptions {
  /** Messages to send and receive; default 10,000. */
  messages?: number;
  /** Concurrent peek-lock receivers, each on its own connection; default 4. */
  receivers?: number;
  /** Messages per sent batch; default 250. */
  batchSize?: number;
  /** Target an already running emulator (or namespace); otherwise one is started and stopped. */
  connectionString?: string;
  /** Queue to use with `connectionString`; default `load`. */
  queue?: string;
  /** Persist the started emulator's state there (measures the cost of `stateDir`); ignored with `connectionString`. */
  stateDir?: string;
  /** Give up after this long; default 120 s. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface ServiceBusLoadTestResult {
  messages: number;
  seconds: number;
  perSecond: number;
  /** Sent messages never received (0 on success). */
  lost: number;
  /** Receipts of a message already completed once (0 on success). */
  duplicates: number;
}

/**
 * Sends `messages` messages in batches while `receivers` peek-lock receivers receive and complete them,
 * and measures end-to-end throughput. Every message carries its index, so loss and double delivery are
 * counted, not assumed.
 */
export async function runServiceBusLoadTest(
  opts: ServiceBusLoadTestOptions = {},
): Promise<ServiceBusLoadTestResult> {
  const total = opts.messages ?? 10_000;
  const receiverCount = opts.receivers ?? 4;
  const batchSize = opts.batchSize ?? 250;
  const queue = opts.queue ?? 'load';
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const emulator = opts.connectionString
    ? undefined
    : await startServiceBusEmulator({
        config: {
          UserConfig: { Namespaces: [{ Name: 'sbemulatorns', Queues: [{ Name: queue }], Topics: [] }] },
        },
        ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
      });
  const connectionString = opts.connectionString ?? emulator!.connectionString;
  const clients = Array.from({ length: receiverCount + 1 }, () => new ServiceBusClient(connectionString));
  const seen = new Uint8Array(total);
  let unique = 0;
  let duplicates = 0;
  const started = Date.now();
  const deadline = started + timeoutMs;
  try {
    const send = async (): Promise<void> => {
      const sender = clients[0]!.createSender(queue);
      for (let i = 0; i < total; i += batchSize) {
        const batch: ServiceBusMessage[] = [];
        for (let j = i; j < Math.min(total, i + batchSize); j++)
          batch.push({ body: j, messageId: `load-${j}` });
        await sender.sendMessages(batch);
      }
      await sender.close();
    };
    const receive = async (client: ServiceBusClient): Promise<void> => {
      const receiver = client.createReceiver(queue, {
        receiveMode: 'peekLock',
        maxAutoLockRenewalDurationInMs: 0,
      });
      while (unique < total && Date.now() < deadline) {
        const messages = await receiver.receiveMessages(200, { maxWaitTimeInMs: 200 });
        for (const m of messages) {
          const index = m.body as number;
          if (seen[index]) duplicates++;
          else {
            seen[index] = 1;
            unique++;
          }
        }
        await Promise.all(messages.map((m) => receiver.completeMessage(m)));
      }
      await receiver.close();
    };
    await Promise.all([send(), ...clients.slice(1).map(receive)]);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await emulator?.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const result = {
    messages: total,
    seconds,
    perSecond: Math.round(unique / seconds),
    lost: total - unique,
    duplicates,
  };
  opts.log?.(
    `Service Bus load test: ${unique}/${total} messages in ${seconds.toFixed(2)} s = ${result.perSecond} msg/s ` +
      `(${receiverCount} receivers, lost ${result.lost}, duplicates ${duplicates})`,
  );
  return result;
}

if (require.main === module) {
  runServiceBusLoadTest({ log: (line) => console.log(line) }).then(
    (r) => process.exit(r.lost === 0 && r.duplicates === 0 ? 0 : 1),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
