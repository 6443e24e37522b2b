import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import {
  startServiceBusEmulator,
  type RunningServiceBusEmulator,
} from '../../../devhost/servicebus/startServiceBusEmulator';
import { PermanentProviderError } from '../../../shared/errors/dispatchErrors';
import { DispatchProperty } from '../../../adapters/serviceBus/eventQueue';
import { POISON_IDENTITY } from '../../../shared/signing/dispatchSigner';
import { testSigner } from '../../support/testSigner';
import { maxLastErrorLength, ServiceBusEventQueue } from '../../../adapters/serviceBus/serviceBusEventQueue';

const queueProperties = {
  DeadLetteringOnMessageExpiration: false,
  DefaultMessageTimeToLive: 'PT1H',
  DuplicateDetectionHistoryTimeWindow: 'PT10M',
  LockDuration: 'PT1M',
  MaxDeliveryCount: 10,
  RequiresDuplicateDetection: true,
  RequiresSession: false,
};
const config = {
  UserConfig: {
    Namespaces: [
      {
        Name: 'sbemulatorns',
        Queues: [
          { Name: 'requeue', Properties: queueProperties },
          { Name: 'dupes', Properties: queueProperties },
          { Name: 'deadletter', Properties: queueProperties },
        ],
        Topics: [],
      },
    ],
    Logging: { Type: 'File' as const },
  },
};

const cloudEvent = JSON.stringify({
  specversion: '1.0',
  id: 'evt-1',
  source: '/test',
  type: 'demo.created',
  data: { n: 1, text: 'héllo' },
});

let emulator: RunningServiceBusEmulator;
let client: ServiceBusClient;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ port: 0, config });
  client = new ServiceBusClient(emulator.connectionString);
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

async function receiveAll(
  queue: string,
  waitMs: number,
): Promise<{ message: ServiceBusReceivedMessage; at: number }[]> {
  const receiver = client.createReceiver(queue, {
    receiveMode: 'receiveAndDelete',
    skipParsingBodyAsJson: true,
  });
  try {
    const got: { message: ServiceBusReceivedMessage; at: number }[] = [];
    const until = Date.now() + waitMs;
    while (Date.now() < until) {
      const batch = await receiver.receiveMessages(10, {
        maxWaitTimeInMs: Math.max(50, Math.min(250, until - Date.now())),
      });
      const at = Date.now();
      for (const message of batch) got.push({ message, at });
    }
    return got;
  } finally {
    await receiver.close();
  }
}

describe('ServiceBusEventQueue against the Service Bus emulator', () => {
  test('requeue schedules an unchanged copy that arrives at the scheduled time, not before, with the dispatch properties', async () => {
    const queue = new ServiceBusEventQueue({
      connection: { connectionString: emulator.connectionString },
      queueName: 'requeue',
      signer: testSigner,
    });
    try {
      const scheduledEnqueueTime = new Date(Date.now() + 1500);
      const longError = `exit code 3: ${'x'.repeat(5000)}`;
      await queue.requeue({
        body: cloudEvent,
        identity: { source: '/tests', id: 'evt-1' },
        route: 'thumbnails',
        attempt: 2,
        lastError: longError,
        scheduledEnqueueTime,
      });

      // One receive loop across the scheduled time: an early delivery would be returned (and stamped) early.
      const later = await receiveAll('requeue', scheduledEnqueueTime.getTime() - Date.now() + 2500);
      expect(later).toHaveLength(1);
      const { message, at } = later[0]!;
      expect(at).toBeGreaterThanOrEqual(scheduledEnqueueTime.getTime());
      expect(message.messageId).toBe(
        testSigner.messageId('requeue', { source: '/tests', id: 'evt-1' }, ['thumbnails', 2, 0]),
      );
      expect(message.contentType).toBe('application/cloudevents+json');
      // Byte-for-byte the original body, in a data section (not a JSON-encoded string).
      expect(Buffer.isBuffer(message.body)).toBe(true);
      expect((message.body as Buffer).toString('utf8')).toBe(cloudEvent);
      expect(message.applicationProperties?.[DispatchProperty.route]).toBe('thumbnails');
      expect(message.applicationProperties?.[DispatchProperty.attempt]).toBe(2);
      // The trigger will trust this copy: its marks verify for the event's identity.
      expect(
        testSigner.read({ source: '/tests', id: 'evt-1' }, message.applicationProperties!),
      ).toMatchObject({
        kind: 'signed',
        marks: { route: 'thumbnails', attempt: 2 },
      });
      const lastError = message.applicationProperties?.[DispatchProperty.lastError] as string;
      expect(lastError.length).toBe(maxLastErrorLength);
      expect(lastError.startsWith('exit code 3: xxx')).toBe(true);
      expect(message.scheduledEnqueueTimeUtc?.getTime()).toBe(scheduledEnqueueTime.getTime());
    } finally {
      await queue.close();
    }
  });

  test('a second identical requeue is removed by duplicate detection; the next attempt is not; a sender cannot occupy its id', async () => {
    // Issue 11, finding 2: a message sent first under the old predictable id suppressed the real requeue.
    const sender = client.createSender('dupes');
    await sender.sendMessages({ body: 'squatter', messageId: 'evt-2:thumbnails:2' });
    await sender.close();
    const queue = new ServiceBusEventQueue({ client, queueName: 'dupes', signer: testSigner });
    const identity = { source: '/tests', id: 'evt-2' };
    const request = {
      body: cloudEvent,
      identity,
      route: 'thumbnails',
      attempt: 2,
      lastError: 'boom',
      scheduledEnqueueTime: new Date(Date.now() + 200),
    };
    await queue.requeue(request);
    await queue.requeue({ ...request, scheduledEnqueueTime: new Date(Date.now() + 300) });
    await queue.requeue({ ...request, attempt: 3 });
    await queue.close();

    const got = await receiveAll('dupes', 2500);
    expect(got.map((g) => g.message.messageId).sort()).toEqual(
      [
        'evt-2:thumbnails:2',
        testSigner.messageId('requeue', identity, ['thumbnails', 2, 0]),
        testSigner.messageId('requeue', identity, ['thumbnails', 3, 0]),
      ].sort(),
    );
  });

  test('dead-letter copies carry signed reason, route, attempt, the description, keyed MessageIds and the original bytes and bounded properties', async () => {
    const queue = new ServiceBusEventQueue({ client, queueName: 'deadletter', signer: testSigner });
    const identity = { source: '/tests', id: 'evt-3' };
    const poisonBytes = Buffer.from([0x7b, 0xff, 0xfe]);
    try {
      await queue.sendDeadLetterCopy({
        body: cloudEvent,
        identity,
        route: 'thumbnails',
        attempt: 3,
        reason: 'MaxAttemptsExceeded',
        description: `attempt 3 of 3 failed: ${'y'.repeat(6000)}`,
      });
      await queue.sendDeadLetterCopy({
        body: poisonBytes,
        reason: 'InvalidEvent',
        description: 'json@12: unexpected token',
        originalMessageId: '42',
        contentType: 'text/plain',
        originalProperties: { tenant: 'a', 'dispatch-signature': 'not theirs' },
      });
      // The same poison message again: duplicate detection drops it.
      await queue.sendDeadLetterCopy({
        body: poisonBytes,
        reason: 'InvalidEvent',
        description: 'again',
        originalMessageId: '42',
      });
    } finally {
      await queue.close();
    }

    const got = await receiveAll('deadletter', 1500);
    expect(got).toHaveLength(2);
    const byId = new Map(got.map((g) => [g.message.messageId, g.message]));
    const marked = byId.get(testSigner.messageId('dead-letter', identity, ['thumbnails', 3, 0]))!;
    expect(marked.applicationProperties).toMatchObject({
      [DispatchProperty.deadLetterReason]: 'MaxAttemptsExceeded',
      [DispatchProperty.route]: 'thumbnails',
      [DispatchProperty.attempt]: 3,
    });
    const description = marked.applicationProperties?.[DispatchProperty.deadLetterDescription] as string;
    expect(description.length).toBe(4096);
    expect(marked.contentType).toBe('application/cloudevents+json');
    expect((marked.body as Buffer).toString('utf8')).toBe(cloudEvent);

    expect(testSigner.read(identity, marked.applicationProperties!)).toMatchObject({ kind: 'signed' });

    const poison = byId.get(testSigner.poisonMessageId('42', poisonBytes))!;
    expect(poison.applicationProperties).toMatchObject({
      tenant: 'a',
      [DispatchProperty.deadLetterReason]: 'InvalidEvent',
      [DispatchProperty.deadLetterDescription]: 'json@12: unexpected token',
    });
    expect(testSigner.read(POISON_IDENTITY, poison.applicationProperties!)).toMatchObject({
      kind: 'signed',
      marks: { deadLetterReason: 'InvalidEvent' },
    });
    expect(poison.contentType).toBe('text/plain');
    expect(poison.body).toEqual(poisonBytes);
  });

  test('sending to a queue that does not exist is a permanent error naming the operation', async () => {
    const queue = new ServiceBusEventQueue({ client, queueName: 'no-such-queue', signer: testSigner });
    try {
      const error = await queue
        .requeue({
          body: cloudEvent,
          identity: { source: '/tests', id: 'evt-4' },
          route: 'r',
          attempt: 2,
          lastError: 'x',
          scheduledEnqueueTime: new Date(),
        })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(error).toBeInstanceOf(PermanentProviderError);
      expect((error as PermanentProviderError).code).toBe('MessagingEntityNotFound');
      expect((error as Error).message).toContain('requeue requeue:');
      expect((error as Error).message).toContain('to no-such-queue');
    } finally {
      await queue.close();
    }
  });

  test('bad requests are rejected before anything is sent', async () => {
    const queue = new ServiceBusEventQueue({ client, queueName: 'requeue', signer: testSigner });
    await expect(
      queue.requeue({
        body: cloudEvent,
        identity: { source: '/s', id: 'e' },
        route: 'r',
        attempt: 1,
        lastError: '',
        scheduledEnqueueTime: new Date(),
      }),
    ).rejects.toThrow('attempt must be an integer >= 2, got 1');
    await expect(
      queue.requeue({
        body: cloudEvent,
        identity: { source: '/s', id: 'e' },
        route: 'r',
        attempt: 2,
        lastError: '',
        scheduledEnqueueTime: new Date('nope'),
      }),
    ).rejects.toThrow('scheduledEnqueueTime is not a valid date');
    await queue.close();
  });
});
