import { ServiceBusClient } from '@azure/service-bus';
import Long from 'long';
import { processDeadLetters } from '../../../../adapters/serviceBus/deadLetters/deadLetterQueue';
import type { EmulatorConfig } from '../../../../devhost/servicebus/emulatorConfig';
import { startServiceBusEmulator } from '../../../../devhost/servicebus/startServiceBusEmulator';

/*
 * Locking dead letters a batch at a time (resubmit, purge) against the Service Bus emulator: a scan that found
 * what it looked for stops there, and does not lock the rest of the queue (a resubmit by sequence number looked
 * for one message and locked every dead letter, outlasting the lock duration on a large queue).
 */

const config: EmulatorConfig = {
  UserConfig: {
    Namespaces: [{ Name: 'sbemulatorns', Queues: [{ Name: 'dispatch', Properties: {} }], Topics: [] }],
  },
};

let emulator: Awaited<ReturnType<typeof startServiceBusEmulator>>;
let client: ServiceBusClient;
beforeAll(async () => {
  emulator = await startServiceBusEmulator({ config });
  client = new ServiceBusClient(emulator.connectionString);
  const count = 150;
  const sender = client.createSender('dispatch');
  await sender.sendMessages(
    Array.from({ length: count }, (_, i) => ({ body: `m${i}`, messageId: `m-${i}` })),
  );
  await sender.close();
  const receiver = client.createReceiver('dispatch');
  let dead = 0;
  while (dead < count)
    for (const message of await receiver.receiveMessages(count, { maxWaitTimeInMs: 1000 })) {
      await receiver.deadLetterMessage(message, {
        deadLetterReason: 'JobFailed',
        deadLetterErrorDescription: 'exit 3',
      });
      dead++;
    }
  await receiver.close();
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

async function deliveryCounts(): Promise<number[]> {
  const peeker = client.createReceiver('dispatch', { subQueueType: 'deadLetter' });
  const all = [];
  let from = Long.ONE;
  for (;;) {
    const batch = await peeker.peekMessages(100, { fromSequenceNumber: from });
    if (batch.length === 0) break;
    all.push(...batch);
    from = (batch[batch.length - 1]!.sequenceNumber as Long).add(1);
  }
  await peeker.close();
  return all.map((m) => m.deliveryCount ?? 0);
}

it('stops locking once done() says so, leaving later batches untouched and every dead letter in place', async () => {
  const handled: string[] = [];
  await processDeadLetters(
    client,
    'dispatch',
    1000,
    (message) => {
      handled.push(String(message.messageId));
      return Promise.resolve('keep');
    },
    () => handled.length >= 1,
  );
  expect(handled).toEqual(['m-0']);
  const counts = await deliveryCounts();
  expect(counts).toHaveLength(150);
  // Only the first batch was ever locked (and released); the second batch was never received.
  expect(counts.slice(100).every((c) => c === counts[149])).toBe(true);
  expect(counts[0]).toBeGreaterThan(counts[149]!);
});
