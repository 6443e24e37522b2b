import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
} from '@azure/service-bus';
import type { EmulatorConfig } from '../../../devhost/servicebus/emulatorConfig';
import {
  startServiceBusEmulator,
  type RunningServiceBusEmulator,
} from '../../../devhost/servicebus/startServiceBusEmulator';

const config: EmulatorConfig = {
  UserConfig: {
    Namespaces: [
      {
        Name: 'sbemulatorns',
        Queues: [
          { Name: 'basic', Properties: { LockDuration: 'PT30S' } },
          { Name: 'batch' },
          { Name: 'sched' },
          { Name: 'rad' },
          { Name: 'abandon', Properties: { MaxDeliveryCount: 3 } },
          { Name: 'deadletter' },
          { Name: 'defer' },
          { Name: 'lock', Properties: { LockDuration: 'PT1S', MaxDeliveryCount: 5 } },
          { Name: 'renew', Properties: { LockDuration: 'PT2S' } },
          { Name: 'peek' },
          {
            Name: 'dedupe',
            Properties: { RequiresDuplicateDetection: true, DuplicateDetectionHistoryTimeWindow: 'PT30S' },
          },
          { Name: 'ttl' },
          {
            Name: 'ttl-dl',
            Properties: { DeadLetteringOnMessageExpiration: true, DefaultMessageTimeToLive: 'PT1S' },
          },
          { Name: 'forwarded' },
          { Name: 'stream' },
          { Name: 'concurrent' },
          { Name: 'credit' },
          { Name: 'fdl', Properties: { ForwardDeadLetteredMessagesTo: 'fdl-target', MaxDeliveryCount: 1 } },
          { Name: 'fdl-target' },
        ],
        Topics: [
          {
            Name: 'events',
            Subscriptions: [
              { Name: 'a' },
              { Name: 'b' },
              { Name: 'fwd', Properties: { ForwardTo: 'forwarded' } },
              {
                Name: 'important',
                Rules: [
                  {
                    Name: 'only-important',
                    Properties: { FilterType: 'Correlation', CorrelationFilter: { Label: 'important' } },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
    Logging: { Type: 'Console' },
  },
};

let emulator: RunningServiceBusEmulator;
let client: ServiceBusClient;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ config });
  client = new ServiceBusClient(emulator.connectionString);
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function receiveAll(
  receiver: ServiceBusReceiver,
  expected: number,
  waitMs = 3000,
): Promise<ServiceBusReceivedMessage[]> {
  const out: ServiceBusReceivedMessage[] = [];
  const deadline = Date.now() + waitMs;
  while (out.length < expected && Date.now() < deadline) {
    out.push(...(await receiver.receiveMessages(expected - out.length, { maxWaitTimeInMs: 300 })));
  }
  return out;
}

describe('Service Bus emulator with the official @azure/service-bus SDK', () => {
  test('hands out an emulator connection string with its port', () => {
    expect(emulator.connectionString).toBe(
      `Endpoint=sb://localhost:${emulator.port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
    );
  });

  test('unknown entities fail with MessagingEntityNotFound for senders and receivers', async () => {
    const sender = client.createSender('no-such-queue');
    await expect(sender.sendMessages({ body: 1 })).rejects.toMatchObject({ code: 'MessagingEntityNotFound' });
    await sender.close();
    const receiver = client.createReceiver('no-such-queue');
    await expect(receiver.receiveMessages(1, { maxWaitTimeInMs: 500 })).rejects.toMatchObject({
      code: 'MessagingEntityNotFound',
    });
    await receiver.close();
  });

  test('round-trips message properties and stamps broker annotations', async () => {
    const sender = client.createSender('basic');
    const before = Date.now();
    await sender.sendMessages({
      body: { hello: 'world' },
      messageId: 'm-1',
      correlationId: 'corr-1',
      subject: 'greeting',
      contentType: 'application/json',
      replyTo: 'replies',
      to: 'someone',
      timeToLive: 600_000,
      applicationProperties: { str: 'x', num: 42, flag: true },
    });
    await sender.sendMessages({ body: 'second' });
    const receiver = client.createReceiver('basic');
    const [m1, m2] = await receiveAll(receiver, 2);
    expect(m1).toBeDefined();
    expect(m1!.body).toEqual({ hello: 'world' });
    expect(m1!.messageId).toBe('m-1');
    expect(m1!.correlationId).toBe('corr-1');
    expect(m1!.subject).toBe('greeting');
    expect(m1!.contentType).toBe('application/json');
    expect(m1!.replyTo).toBe('replies');
    expect(m1!.to).toBe('someone');
    expect(m1!.timeToLive).toBe(600_000);
    expect(m1!.applicationProperties).toEqual({ str: 'x', num: 42, flag: true });
    expect(m1!.deliveryCount).toBe(0);
    expect(m1!.enqueuedTimeUtc!.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(m1!.lockedUntilUtc!.getTime()).toBeGreaterThan(Date.now() + 20_000);
    expect(m1!.lockToken).toMatch(/^[0-9a-f-]{36}$/);
    // A message sent without an id gets one from the broker; sequence numbers increase.
    expect(typeof m2!.messageId).toBe('string');
    expect(m2!.sequenceNumber!.toNumber()).toBe(m1!.sequenceNumber!.toNumber() + 1);
    await receiver.completeMessage(m1!);
    await receiver.completeMessage(m2!);
    expect(await receiver.peekMessages(10)).toHaveLength(0);
    await receiver.close();
    await sender.close();
  });

  test('batches (createMessageBatch and arrays) arrive as individual messages in order', async () => {
    const sender = client.createSender('batch');
    const batch = await sender.createMessageBatch();
    for (let i = 0; i < 20; i++)
      expect(batch.tryAddMessage({ body: `b${i}`, applicationProperties: { i } })).toBe(true);
    await sender.sendMessages(batch);
    await sender.sendMessages([{ body: 'c0' }, { body: 'c1' }]);
    const receiver = client.createReceiver('batch', { receiveMode: 'receiveAndDelete' });
    const got = await receiveAll(receiver, 22);
    expect(got.map((m): unknown => m.body)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `b${i}`),
      'c0',
      'c1',
    ]);
    expect(got[5]!.applicationProperties).toEqual({ i: 5 });
    await receiver.close();
    await sender.close();
  });

  test('scheduled messages stay invisible until due, and can be cancelled', async () => {
    const sender = client.createSender('sched');
    const due = new Date(Date.now() + 1200);
    const [keep, cancel] = await sender.scheduleMessages([{ body: 'keep' }, { body: 'cancel' }], due);
    await sender.sendMessages({ body: 'via-link', scheduledEnqueueTimeUtc: due });
    await sender.cancelScheduledMessages([cancel!]);
    const receiver = client.createReceiver('sched', { receiveMode: 'receiveAndDelete' });
    expect(await receiver.receiveMessages(5, { maxWaitTimeInMs: 400 })).toHaveLength(0);
    const got = await receiveAll(receiver, 2, 4000);
    expect(got.map((m): unknown => m.body).sort()).toEqual(['keep', 'via-link']);
    expect(got.find((m) => m.body === 'keep')!.sequenceNumber!.toNumber()).toBe(keep!.toNumber());
    expect(got[0]!.enqueuedTimeUtc!.getTime()).toBeGreaterThanOrEqual(due.getTime() - 5);
    expect(await receiver.receiveMessages(5, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    await receiver.close();
    await sender.close();
  });

  test('receiveAndDelete removes messages on delivery', async () => {
    const sender = client.createSender('rad');
    await sender.sendMessages([{ body: 1 }, { body: 2 }]);
    const receiver = client.createReceiver('rad', { receiveMode: 'receiveAndDelete' });
    const got = await receiveAll(receiver, 2);
    expect(got.map((m): unknown => m.body)).toEqual([1, 2]);
    expect(await receiver.peekMessages(10)).toHaveLength(0);
    await receiver.close();
    await sender.close();
  });

  test('abandon counts deliveries and dead-letters at MaxDeliveryCount', async () => {
    const sender = client.createSender('abandon');
    await sender.sendMessages({ body: 'poison', messageId: 'p-1' });
    const receiver = client.createReceiver('abandon');
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [m] = await receiveAll(receiver, 1);
      counts.push(m!.deliveryCount!);
      await receiver.abandonMessage(m!, { abandonedBy: `try-${i}` });
    }
    expect(counts).toEqual([0, 1, 2]);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    const dlq = client.createReceiver('abandon', { subQueueType: 'deadLetter' });
    const [dead] = await receiveAll(dlq, 1);
    expect(dead!.messageId).toBe('p-1');
    expect(dead!.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    expect(dead!.applicationProperties?.abandonedBy).toBe('try-2');
    await dlq.completeMessage(dead!);
    await dlq.close();
    await receiver.close();
    await sender.close();
  });

  test('deadLetterMessage moves the message to $DeadLetterQueue with reason and description', async () => {
    const sender = client.createSender('deadletter');
    await sender.sendMessages({ body: { bad: true }, messageId: 'dl-1' });
    const receiver = client.createReceiver('deadletter');
    const [m] = await receiveAll(receiver, 1);
    await receiver.deadLetterMessage(m!, {
      deadLetterReason: 'InvalidEvent',
      deadLetterErrorDescription: 'no specversion',
    });
    const dlq = client.createReceiver('deadletter', { subQueueType: 'deadLetter' });
    const [dead] = await receiveAll(dlq, 1);
    expect(dead!.body).toEqual({ bad: true });
    expect(dead!.deadLetterReason).toBe('InvalidEvent');
    expect(dead!.deadLetterErrorDescription).toBe('no specversion');
    expect(dead!.sequenceNumber!.toNumber()).toBe(m!.sequenceNumber!.toNumber());
    await dlq.completeMessage(dead!);
    expect(await dlq.peekMessages(5)).toHaveLength(0);
    await dlq.close();
    await receiver.close();
    await sender.close();
  });

  test('deferred messages are only reachable by sequence number and settle via $management', async () => {
    const sender = client.createSender('defer');
    await sender.sendMessages([{ body: 'later' }, { body: 'now' }]);
    const receiver = client.createReceiver('defer');
    const [later, now] = await receiveAll(receiver, 2);
    await receiver.deferMessage(later!);
    await receiver.completeMessage(now!);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    const [deferred] = await receiver.receiveDeferredMessages([later!.sequenceNumber!]);
    expect(deferred!.body).toBe('later');
    expect(deferred!.state).toBe('deferred');
    await receiver.completeMessage(deferred!);
    await expect(receiver.receiveDeferredMessages([later!.sequenceNumber!])).rejects.toMatchObject({
      code: 'MessageNotFound',
    });
    await receiver.close();
    await sender.close();
  });

  test('an expired lock redelivers with deliveryCount + 1 and the stale lock fails with MessageLockLost', async () => {
    const sender = client.createSender('lock');
    await sender.sendMessages({ body: 'slow' });
    const receiver = client.createReceiver('lock', { maxAutoLockRenewalDurationInMs: 0 });
    const [first] = await receiveAll(receiver, 1);
    expect(first!.deliveryCount).toBe(0);
    await sleep(1400);
    const [second] = await receiveAll(receiver, 1);
    expect(second!.body).toBe('slow');
    expect(second!.deliveryCount).toBe(1);
    await expect(receiver.completeMessage(first!)).rejects.toMatchObject({ code: 'MessageLockLost' });
    await receiver.completeMessage(second!);
    await receiver.close();
    await sender.close();
  });

  test('renewMessageLock and auto lock renewal keep the lock past LockDuration', async () => {
    const sender = client.createSender('renew');
    await sender.sendMessages([{ body: 'manual' }, { body: 'auto' }]);
    const manual = client.createReceiver('renew', { maxAutoLockRenewalDurationInMs: 0 });
    const [m] = await receiveAll(manual, 1);
    const firstUntil = m!.lockedUntilUtc!.getTime();
    await sleep(1200);
    const renewed = await manual.renewMessageLock(m!);
    expect(renewed.getTime()).toBeGreaterThan(firstUntil + 1000);
    await sleep(1200);
    await manual.completeMessage(m!); // would fail with MessageLockLost without the renewal
    await manual.close();

    const auto = client.createReceiver('renew', { maxAutoLockRenewalDurationInMs: 10_000 });
    const [a] = await receiveAll(auto, 1);
    expect(a!.body).toBe('auto');
    await sleep(3000);
    await auto.completeMessage(a!);
    await auto.close();
    await sender.close();
  });

  test('peekMessages returns messages without locking them', async () => {
    const sender = client.createSender('peek');
    await sender.sendMessages([{ body: 'p1' }, { body: 'p2' }, { body: 'p3' }]);
    const receiver = client.createReceiver('peek');
    const peeked = await receiver.peekMessages(2);
    expect(peeked.map((m): unknown => m.body)).toEqual(['p1', 'p2']);
    expect(peeked[0]!.lockToken).toBeUndefined();
    const next = await receiver.peekMessages(5);
    expect(next.map((m): unknown => m.body)).toEqual(['p3']);
    const got = await receiveAll(receiver, 3);
    expect(got).toHaveLength(3);
    await Promise.all(got.map((g) => receiver.completeMessage(g)));
    await receiver.close();
    await sender.close();
  });

  test('duplicate detection drops a second message with the same MessageId inside the window', async () => {
    const sender = client.createSender('dedupe');
    await sender.sendMessages({ body: 'one', messageId: 'same' });
    await sender.sendMessages({ body: 'two', messageId: 'same' });
    await sender.sendMessages({ body: 'three', messageId: 'other' });
    const receiver = client.createReceiver('dedupe', { receiveMode: 'receiveAndDelete' });
    const got = await receiveAll(receiver, 3, 1200);
    expect(got.map((m): unknown => m.body)).toEqual(['one', 'three']);
    await receiver.close();
    await sender.close();
  });

  test('expired messages are removed, or dead-lettered with TTLExpiredException', async () => {
    const sender = client.createSender('ttl');
    await sender.sendMessages([{ body: 'short', timeToLive: 300 }, { body: 'long' }]);
    const dlSender = client.createSender('ttl-dl');
    await dlSender.sendMessages({ body: 'expires' });
    await sleep(1300);
    const receiver = client.createReceiver('ttl', { receiveMode: 'receiveAndDelete' });
    const got = await receiveAll(receiver, 2, 1000);
    expect(got.map((m): unknown => m.body)).toEqual(['long']);
    const dl = client.createReceiver('ttl-dl', { receiveMode: 'receiveAndDelete' });
    expect(await dl.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    const dlq = client.createReceiver('ttl-dl', {
      subQueueType: 'deadLetter',
      receiveMode: 'receiveAndDelete',
    });
    const [dead] = await receiveAll(dlq, 1);
    expect(dead!.body).toBe('expires');
    expect(dead!.deadLetterReason).toBe('TTLExpiredException');
    await Promise.all([receiver.close(), dl.close(), dlq.close(), sender.close(), dlSender.close()]);
  });

  test('topics copy each message to every subscription, honour rules and ForwardTo', async () => {
    const sender = client.createSender('events');
    await sender.sendMessages([
      { body: 'e1', subject: 'routine' },
      { body: 'e2', subject: 'important' },
    ]);
    const a = client.createReceiver('events', 'a');
    const b = client.createReceiver('events', 'b', { receiveMode: 'receiveAndDelete' });
    const important = client.createReceiver('events', 'important', { receiveMode: 'receiveAndDelete' });
    const forwarded = client.createReceiver('forwarded', { receiveMode: 'receiveAndDelete' });
    const fromA = await receiveAll(a, 2);
    // Settling a's copy must not affect b's.
    await Promise.all(fromA.map((m) => a.completeMessage(m)));
    expect(fromA.map((m): unknown => m.body)).toEqual(['e1', 'e2']);
    expect((await receiveAll(b, 2)).map((m): unknown => m.body)).toEqual(['e1', 'e2']);
    expect((await receiveAll(important, 2, 800)).map((m): unknown => m.body)).toEqual(['e2']);
    expect((await receiveAll(forwarded, 2)).map((m): unknown => m.body)).toEqual(['e1', 'e2']);
    const fwdSub = client.createReceiver('events', 'fwd');
    expect(await fwdSub.peekMessages(5)).toHaveLength(0);
    await Promise.all([
      a.close(),
      b.close(),
      important.close(),
      forwarded.close(),
      fwdSub.close(),
      sender.close(),
    ]);
  });

  test('subscribe() streams messages with auto-complete and honours credit', async () => {
    const sender = client.createSender('stream');
    const receiver = client.createReceiver('stream');
    const bodies: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const done = new Promise<void>((resolve, reject) => {
      const sub = receiver.subscribe(
        {
          processMessage: async (m) => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await sleep(5);
            bodies.push(m.body as number);
            inFlight--;
            if (bodies.length === 30) void sub.close().then(resolve, reject);
          },
          processError: async (args) => {
            reject(args.error);
            return Promise.resolve();
          },
        },
        { maxConcurrentCalls: 3 },
      );
    });
    await sender.sendMessages(Array.from({ length: 30 }, (_, i) => ({ body: i })));
    await done;
    expect(bodies.sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(maxInFlight).toBeLessThanOrEqual(3);
    await sleep(100);
    expect(await receiver.peekMessages(40)).toHaveLength(0);
    await receiver.close();
    await sender.close();
  });

  test('a receiver never gets more messages than the credit it granted', async () => {
    const sender = client.createSender('credit');
    await sender.sendMessages(Array.from({ length: 10 }, (_, i) => ({ body: i })));
    const first = client.createReceiver('credit');
    const three = await first.receiveMessages(3, { maxWaitTimeInMs: 1000 });
    expect(three.map((m): unknown => m.body)).toEqual([0, 1, 2]);
    // Had the broker pushed (and locked) more than 3 to the first link, they would be missing here.
    const second = client.createReceiver('credit', { receiveMode: 'receiveAndDelete' });
    const rest = await receiveAll(second, 7);
    expect(rest.map((m): unknown => m.body)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    await Promise.all(three.map((m) => first.completeMessage(m)));
    await Promise.all([first.close(), second.close(), sender.close()]);
  });

  test('ForwardDeadLetteredMessagesTo sends dead letters on with their source; transfer DLQ is empty', async () => {
    const sender = client.createSender('fdl');
    await sender.sendMessages({ body: 'doomed' });
    const receiver = client.createReceiver('fdl');
    const [m] = await receiveAll(receiver, 1);
    await receiver.abandonMessage(m!);
    const target = client.createReceiver('fdl-target', { receiveMode: 'receiveAndDelete' });
    const [moved] = await receiveAll(target, 1);
    expect(moved!.body).toBe('doomed');
    expect(moved!.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    expect(moved!.deadLetterSource).toBe('fdl');
    const dlq = client.createReceiver('fdl', { subQueueType: 'deadLetter' });
    expect(await dlq.peekMessages(5)).toHaveLength(0);
    const transfer = client.createReceiver('fdl', { subQueueType: 'transferDeadLetter' });
    expect(await transfer.receiveMessages(1, { maxWaitTimeInMs: 200 })).toHaveLength(0);
    await Promise.all([receiver.close(), target.close(), dlq.close(), transfer.close(), sender.close()]);
  });

  test('session receivers are refused rather than half-working', async () => {
    await expect(client.acceptSession('basic', 's1', { maxAutoLockRenewalDurationInMs: 0 })).rejects.toThrow(
      /not supported/,
    );
  });

  test('many concurrent clients and links', async () => {
    const clients = Array.from({ length: 8 }, () => new ServiceBusClient(emulator.connectionString));
    await Promise.all(
      clients.map(async (c, i) => {
        const s = c.createSender('concurrent');
        await s.sendMessages(Array.from({ length: 25 }, (_, j) => ({ body: i * 100 + j })));
        await s.close();
      }),
    );
    const received = new Set<number>();
    await Promise.all(
      clients.map(async (c) => {
        const r = c.createReceiver('concurrent');
        for (let k = 0; k < 10 && received.size < 200; k++) {
          const got = await r.receiveMessages(10, { maxWaitTimeInMs: 200 });
          for (const m of got) {
            expect(received.has(m.body as number)).toBe(false);
            received.add(m.body as number);
          }
          await Promise.all(got.map((m) => r.completeMessage(m)));
        }
        await r.close();
      }),
    );
    expect(received.size).toBe(200);
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe('Service Bus emulator lifecycle', () => {
  test('close() ends open connections and frees the port', async () => {
    const own = await startServiceBusEmulator({ config });
    // An SDK client that closes first leaves nothing behind...
    const c = new ServiceBusClient(own.connectionString);
    await c.createSender('basic').sendMessages({ body: 'x' });
    await c.close();
    // ...and a peer that is still connected when the emulator stops is cut off. (A raw socket, because the
    // SDK keeps retrying forever when its server disappears under an open client.)
    const socket = connect(own.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    await own.close();
    await socketClosed;
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(own.port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });

  test('rejects a missing or invalid config', async () => {
    await expect(startServiceBusEmulator({})).rejects.toThrow(/config is required/);
    const misspelt: unknown = { UserConfig: { Namespaces: [{ Name: 'x', Queus: [] }] } };
    await expect(startServiceBusEmulator({ config: misspelt as EmulatorConfig })).rejects.toThrow(
      /UserConfig\.Namespaces\[0\]\.Queus: unknown property/,
    );
  });

  test('reads Config.json from a path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbcfg-'));
    try {
      const file = join(dir, 'Config.json');
      writeFileSync(file, JSON.stringify(config));
      const own = await startServiceBusEmulator({ config: file });
      const c = new ServiceBusClient(own.connectionString);
      await c.createSender('basic').sendMessages({ body: 'from-file' });
      const r = c.createReceiver('basic', { receiveMode: 'receiveAndDelete' });
      expect((await receiveAll(r, 1)).map((m): unknown => m.body)).toEqual(['from-file']);
      await c.close();
      await own.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
