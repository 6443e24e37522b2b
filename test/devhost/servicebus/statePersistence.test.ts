import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ServiceBusClient,
  type ServiceBusReceiver,
  type ServiceBusReceivedMessage,
} from '@azure/service-bus';
import type { EmulatorConfig } from '../../../devhost/servicebus/emulatorConfig';
import type { NamespaceSnapshot } from '../../../devhost/servicebus/serviceBusNamespace';
import { startServiceBusEmulator } from '../../../devhost/servicebus/startServiceBusEmulator';

const config: EmulatorConfig = {
  UserConfig: {
    Namespaces: [
      {
        Name: 'sbemulatorns',
        Queues: [{ Name: 'work', Properties: { MaxDeliveryCount: 5 } }],
        Topics: [{ Name: 'fanout', Subscriptions: [{ Name: 's1' }] }],
      },
    ],
  },
};

async function receiveAll(
  receiver: ServiceBusReceiver,
  expected: number,
): Promise<ServiceBusReceivedMessage[]> {
  const out: ServiceBusReceivedMessage[] = [];
  const deadline = Date.now() + 3000;
  while (out.length < expected && Date.now() < deadline) {
    out.push(...(await receiver.receiveMessages(expected - out.length, { maxWaitTimeInMs: 300 })));
  }
  return out;
}

describe('Service Bus emulator stateDir persistence', () => {
  let stateDir: string;
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'sbstate-'));
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  test('a restarted emulator keeps active, scheduled, deferred and dead-lettered messages', async () => {
    const first = await startServiceBusEmulator({ config, stateDir });
    let client = new ServiceBusClient(first.connectionString);
    const sender = client.createSender('work');
    await sender.sendMessages([
      { body: 'active', applicationProperties: { k: 'v' } },
      { body: 'abandoned' },
      { body: 'deferred' },
      { body: 'dead' },
    ]);
    const [scheduledSeq] = await sender.scheduleMessages(
      { body: 'scheduled' },
      new Date(Date.now() + 60_000),
    );
    await client.createSender('fanout').sendMessages({ body: 'to-sub' });
    const receiver = client.createReceiver('work');
    const [, abandoned, deferred, dead] = await receiveAll(receiver, 4);
    await receiver.abandonMessage(abandoned!);
    await receiver.deferMessage(deferred!);
    await receiver.deadLetterMessage(dead!, {
      deadLetterReason: 'Bad',
      deadLetterErrorDescription: 'really bad',
    });
    // 'active' stays locked by this receiver: a restart must make it available again.
    await client.close();
    await first.close();
    expect(readdirSync(stateDir)).toEqual(['servicebus-state.json']);

    const second = await startServiceBusEmulator({ config, stateDir });
    client = new ServiceBusClient(second.connectionString);
    try {
      const r = client.createReceiver('work', { receiveMode: 'receiveAndDelete' });
      const got = await receiveAll(r, 2);
      expect(got.map((m): unknown => m.body)).toEqual(['active', 'abandoned']);
      expect(got[0]!.applicationProperties).toEqual({ k: 'v' });
      expect(got[1]!.deliveryCount).toBe(1);
      const peeked = await r.peekMessages(10);
      expect(peeked.map((m): unknown[] => [m.body, m.state])).toEqual([
        ['deferred', 'deferred'],
        ['scheduled', 'scheduled'],
      ]);
      const [def] = await r.receiveDeferredMessages([deferred!.sequenceNumber!]);
      expect(def!.body).toBe('deferred');
      const dlq = client.createReceiver('work', {
        subQueueType: 'deadLetter',
        receiveMode: 'receiveAndDelete',
      });
      const [d] = await receiveAll(dlq, 1);
      expect([d!.body, d!.deadLetterReason, d!.deadLetterErrorDescription]).toEqual([
        'dead',
        'Bad',
        'really bad',
      ]);
      const sub = client.createReceiver('fanout', 's1', { receiveMode: 'receiveAndDelete' });
      expect((await receiveAll(sub, 1)).map((m): unknown => m.body)).toEqual(['to-sub']);
      // Sequence numbers continue after the restart instead of starting again at 1.
      const s = client.createSender('work');
      await s.sendMessages({ body: 'after' });
      const [after] = await receiveAll(r, 1);
      expect(after!.sequenceNumber!.toNumber()).toBeGreaterThan(scheduledSeq!.toNumber());
      await s.cancelScheduledMessages([scheduledSeq!]);
      expect(await r.peekMessages(10)).toHaveLength(0);
    } finally {
      await client.close();
      await second.close();
    }
  });

  test('a scheduled message is on disk by the time scheduleMessages resolves (a kill right after loses nothing)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbstate-'));
    const emulator = await startServiceBusEmulator({ config, stateDir: dir });
    const client = new ServiceBusClient(emulator.connectionString);
    try {
      const sender = client.createSender('work');
      for (let i = 0; i < 5; i++) {
        await sender.scheduleMessages(
          { body: `requeue-${i}`, messageId: `m-${i}` },
          new Date(Date.now() + 60_000),
        );
        // Read at once, as a SIGKILL right after the answer would leave it: no flush on close to help.
        const onDisk = JSON.parse(
          readFileSync(join(dir, 'servicebus-state.json'), 'utf8'),
        ) as NamespaceSnapshot;
        expect(onDisk.entities['work']?.queues['work']?.map((m) => m.state)).toEqual(
          Array.from({ length: i + 1 }, () => 'scheduled'),
        );
      }
    } finally {
      await client.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
