import { HttpRequest, InvocationContext } from '@azure/functions';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import Long from 'long';
import { ServiceBusDeadLetterResubmitter } from '../../../adapters/serviceBus/serviceBusDeadLetterResubmitter';
import type { EmulatorConfig } from '../../../devhost/servicebus/emulatorConfig';
import { startServiceBusEmulator } from '../../../devhost/servicebus/startServiceBusEmulator';
import { createResubmitDeadLetter } from '../../../functions/dashboard/resubmitDeadLetter';
import { testSigner } from '../../support/testSigner';

const config: EmulatorConfig = {
  UserConfig: {
    Namespaces: [{ Name: 'sbemulatorns', Queues: [{ Name: 'dispatch', Properties: {} }], Topics: [] }],
  },
};

let emulator: Awaited<ReturnType<typeof startServiceBusEmulator>>;
let client: ServiceBusClient;
const handler = () =>
  createResubmitDeadLetter(new ServiceBusDeadLetterResubmitter(() => client, 'dispatch', testSigner));

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ config });
  client = new ServiceBusClient(emulator.connectionString);
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

function post(sequenceNumber: string, body?: string): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: `http://localhost/api/deadletters/${sequenceNumber}/resubmit`,
    params: { sequenceNumber },
    ...(body !== undefined ? { body: { string: body } } : {}),
  });
}

function event(id: string): Buffer {
  return Buffer.from(JSON.stringify({ specversion: '1.0', id, source: 'urn:test', type: 'demo.invoice' }));
}

/** Sends the bodies and dead-letters them all; returns their dead-letter sequence numbers in order. */
async function deadLetter(bodies: Array<{ body: Buffer; properties?: Record<string, string | number> }>) {
  await client.createSender('dispatch').sendMessages(
    bodies.map((b, i) => ({
      body: b.body,
      messageId: `m-${i}`,
      applicationProperties: b.properties ?? {},
    })),
  );
  const receiver = client.createReceiver('dispatch');
  const received: ServiceBusReceivedMessage[] = [];
  while (received.length < bodies.length)
    received.push(...(await receiver.receiveMessages(bodies.length, { maxWaitTimeInMs: 1000 })));
  for (const m of received)
    await receiver.deadLetterMessage(m, {
      deadLetterReason: 'JobFailed',
      deadLetterErrorDescription: 'exit code 3',
    });
  await receiver.close();
  const peeker = client.createReceiver('dispatch', { subQueueType: 'deadLetter' });
  const dead = await peeker.peekMessages(10, { fromSequenceNumber: Long.ONE });
  await peeker.close();
  return dead.map((m) => String(m.messageId));
}

async function deadLetterIds(): Promise<Map<string, string>> {
  const peeker = client.createReceiver('dispatch', { subQueueType: 'deadLetter' });
  const dead = await peeker.peekMessages(10, { fromSequenceNumber: Long.ONE });
  await peeker.close();
  return new Map(dead.map((m) => [String(m.messageId), m.sequenceNumber?.toString() ?? '']));
}

describe('POST /api/deadletters/{sequenceNumber}/resubmit against the Service Bus emulator', () => {
  test('resubmits one dead letter as generation 1, leaves the others, refuses what it cannot resubmit', async () => {
    const signed = testSigner.properties(
      { id: 'inv-1', source: 'urn:test' },
      { route: 'invoices', attempt: 2 },
    );
    await deadLetter([
      { body: event('inv-1'), properties: { ...signed, tenant: 'acme' } },
      { body: Buffer.from('{"specversion": '), properties: {} },
      { body: event('inv-2') },
    ]);
    const seq = await deadLetterIds();
    const logs: unknown[][] = [];
    const context = new InvocationContext({ logHandler: (_level, ...args) => logs.push(args) });

    expect((await handler()(post('abc'), context)).status).toBe(400);
    const badBody = await handler()(post(seq.get('m-0') ?? '', '{"keepAttempts":"yes"}'), context);
    expect(badBody.status).toBe(400);
    expect(JSON.stringify(badBody.jsonBody)).toContain('body.keepAttempts: expected true or false');

    const poison = await handler()(post(seq.get('m-1') ?? ''), context);
    expect(poison).toMatchObject({ status: 422, jsonBody: { action: 'skipped' } });
    expect(JSON.stringify(poison.jsonBody)).toContain('not a readable CloudEvent');

    const done = await handler()(post(seq.get('m-0') ?? ''), context);
    expect(done).toMatchObject({
      status: 200,
      jsonBody: { action: 'resubmitted', eventId: 'inv-1', route: 'invoices', attempt: 1, resubmission: 1 },
    });
    // It left the dead-letter queue; the other two are still there, untouched.
    expect([...(await deadLetterIds()).keys()].sort()).toEqual(['m-1', 'm-2']);
    const receiver = client.createReceiver('dispatch');
    const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.close();
    expect(again?.applicationProperties).toMatchObject({ tenant: 'acme', 'dispatch-resubmission': 1 });
    expect(
      testSigner.read({ id: 'inv-1', source: 'urn:test' }, again?.applicationProperties ?? {}).kind,
    ).toBe('signed');

    expect(logs.flat()).toContain(`dead letter ${seq.get('m-0')} (event inv-1): resubmitted`);

    const twice = await handler()(post(seq.get('m-0') ?? ''), context);
    expect(twice).toMatchObject({ status: 404, jsonBody: { sequenceNumber: seq.get('m-0') } });
  });
});
