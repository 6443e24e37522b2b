import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import Long from 'long';
import { startServiceBusEmulator } from '../../../devhost/servicebus/startServiceBusEmulator';
import { startFunctionsHost, type FunctionsHost } from '../../../devhost/functionsHost/startFunctionsHost';
import type { HostLogRecord } from '../../../devhost/functionsHost/hostLog';
import type { HostAppSeen } from '../../fixtures/hostApp/functions/hostApp';

const appRoot = join(__dirname, '..', '..', 'fixtures', 'hostApp');
const seen = (): HostAppSeen => (globalThis as unknown as { __hostAppSeen: HostAppSeen }).__hostAppSeen;
const logs: HostLogRecord[] = [];

let emulator: Awaited<ReturnType<typeof startServiceBusEmulator>>;
let host: FunctionsHost;
let client: ServiceBusClient;

async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function peekAll(queue: string, deadLetter = false): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver(queue, deadLetter ? { subQueueType: 'deadLetter' } : {});
  try {
    return await receiver.peekMessages(100, { fromSequenceNumber: Long.fromNumber(0) });
  } finally {
    await receiver.close();
  }
}

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ port: 0, config: join(appRoot, 'servicebus.Config.json') });
  host = await startFunctionsHost({
    appRoot,
    httpPort: 0,
    settings: {
      SbConn: emulator.connectionString,
      HOSTAPP_QUEUE: 'inbox',
      HOSTAPP_MARKER: 'set-before-load',
    },
    log: (record) => logs.push(record),
    logLevel: 'debug',
  });
  client = new ServiceBusClient(emulator.connectionString);
});

afterAll(async () => {
  await client?.close();
  await host?.close();
  await emulator?.close();
});

describe('local Functions host', () => {
  it('sets the app settings before the app loads', () => {
    expect(seen().markerAtLoad).toBe('set-before-load');
    expect(process.env.HOSTAPP_QUEUE).toBe('inbox');
    expect(host.registrations.map((r) => r.name).sort()).toEqual([
      'boom',
      'echo',
      'onMessage',
      'onSdkMessage',
      'onTopic',
      'tick',
    ]);
  });

  it('delivers a JSON body parsed and camel-cased trigger metadata, then completes the message', async () => {
    const sender = client.createSender('inbox');
    await sender.sendMessages({
      body: Buffer.from('{"hello":"world","forward":"x1"}'),
      messageId: 'json-1',
      contentType: 'application/json',
      correlationId: 'corr-1',
      applicationProperties: { 'dispatch-attempt': 2, 'Mixed-Case': 'v' },
    });
    await sender.close();
    const got = await eventually(() =>
      seen().messages.find((m) => (m.metadata as { messageId?: string }).messageId === 'json-1'),
    );
    expect(got.functionName).toBe('onMessage');
    expect(got.message).toEqual({ hello: 'world', forward: 'x1' });
    expect(got.metadata).toMatchObject({
      messageId: 'json-1',
      deliveryCount: 1,
      contentType: 'application/json',
      correlationId: 'corr-1',
      lockToken: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
      sequenceNumber: expect.any(Number) as number,
      enqueuedTimeUtc: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
      applicationProperties: { 'dispatch-attempt': 2, 'mixed-Case': 'v' },
      userProperties: { 'dispatch-attempt': 2, 'mixed-Case': 'v' },
    });
    // Completed (nothing left) and the output binding sent after success.
    await eventually(async () => ((await peekAll('inbox')).length === 0 ? true : undefined));
    const out = await eventually(async () => {
      const messages = await peekAll('out');
      return messages.length > 0 ? messages : undefined;
    });
    expect(out[0]?.body).toEqual({ forwarded: 'x1' });
    expect(
      logs.some(
        (l) => l.functionName === 'onMessage' && l.level === 'information' && l.message === 'got object',
      ),
    ).toBe(true);
  });

  it('hands a non-JSON body over as a string', async () => {
    const sender = client.createSender('inbox');
    await sender.sendMessages({ body: Buffer.from('not json {'), messageId: 'text-1' });
    await sender.close();
    const got = await eventually(() =>
      seen().messages.find((m) => (m.metadata as { messageId?: string }).messageId === 'text-1'),
    );
    expect(got.message).toBe('not json {');
  });

  it('abandons on throw until MaxDeliveryCount dead-letters the message', async () => {
    const sender = client.createSender('inbox');
    await sender.sendMessages({ body: Buffer.from('{"fail":true}'), messageId: 'fail-1' });
    await sender.close();
    const dead = await eventually(async () =>
      (await peekAll('inbox', true)).find((m) => m.messageId === 'fail-1'),
    );
    expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    const deliveries = seen().messages.filter(
      (m) => (m.metadata as { messageId?: string }).messageId === 'fail-1',
    );
    expect(deliveries.map((d) => (d.metadata as { deliveryCount?: number }).deliveryCount)).toEqual([
      1, 2, 3,
    ]);
    expect(
      logs.some(
        (l) => l.functionName === 'onMessage' && l.level === 'error' && /failing on purpose/.test(l.message),
      ),
    ).toBe(true);
  });

  it('runs at most maxConcurrentCalls (host.json) invocations at once', async () => {
    const sender = client.createSender('inbox');
    const before = seen().messages.length;
    await sender.sendMessages(
      [0, 1, 2, 3].map((i) => ({ body: Buffer.from('{"slowMs":600}'), messageId: `slow-${i}` })),
    );
    await sender.close();
    const started = Date.now();
    await eventually(() => (seen().messages.length - before >= 4 ? true : undefined));
    // Two at a time: the 3rd and 4th start only after the first two finished (~600 ms).
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    await eventually(async () => ((await peekAll('inbox')).length === 0 ? true : undefined));
  });

  it('renews the lock while a function runs longer than the lock duration (PT5S), so it runs once', async () => {
    const sender = client.createSender('inbox');
    await sender.sendMessages({ body: Buffer.from('{"slowMs":7000}'), messageId: 'long-1' });
    await sender.close();
    await eventually(() =>
      seen().messages.find((m) => (m.metadata as { messageId?: string }).messageId === 'long-1'),
    );
    await eventually(async () => ((await peekAll('inbox')).length === 0 ? true : undefined), 20_000);
    expect(
      seen().messages.filter((m) => (m.metadata as { messageId?: string }).messageId === 'long-1'),
    ).toHaveLength(1);
  }, 30_000);

  it('binds topic subscriptions', async () => {
    const sender = client.createSender('news');
    await sender.sendMessages({ body: Buffer.from('{"headline":"x"}'), messageId: 'topic-1' });
    await sender.close();
    expect(await eventually(() => seen().topic[0])).toEqual({ headline: 'x' });
  });

  it('sdkBinding: the function settles through the gRPC Settlement service (dead-letter with reason)', async () => {
    const sender = client.createSender('sdk');
    await sender.sendMessages([
      {
        body: Buffer.from('{"action":"deadletter","reason":"InvalidEvent"}'),
        messageId: 'sdk-dl',
        contentType: 'application/json',
      },
      { body: Buffer.from('{"action":"complete"}'), messageId: 'sdk-ok', contentType: 'application/json' },
    ]);
    await sender.close();
    const dead = await eventually(async () =>
      (await peekAll('sdk', true)).find((m) => m.messageId === 'sdk-dl'),
    );
    expect(dead.deadLetterReason).toBe('InvalidEvent');
    expect(dead.deadLetterErrorDescription).toBe('from the fixture');
    await eventually(async () => ((await peekAll('sdk')).length === 0 ? true : undefined));
    expect(
      seen()
        .sdk.map((s) => s.messageId)
        .sort(),
    ).toEqual(['sdk-dl', 'sdk-ok']);
    expect(seen().sdk.every((s) => typeof s.lockToken === 'string')).toBe(true);
  });

  it('serves HTTP triggers under /api with route params, optional segments, query, methods and status', async () => {
    const get = await fetch(`${host.httpBaseUrl}/items/42?q=search`);
    expect(get.status).toBe(201);
    expect(get.headers.get('x-echo')).toBe('yes');
    expect(await get.json()).toEqual({ id: '42', rest: null, q: 'search', method: 'GET', body: null });

    const post = await fetch(`${host.httpBaseUrl}/items/7/more`, { method: 'POST', body: 'payload' });
    expect(await post.json()).toEqual({ id: '7', rest: 'more', q: null, method: 'POST', body: 'payload' });

    expect((await fetch(`${host.httpBaseUrl}/items/not-a-number`)).status).toBe(404);
    expect((await fetch(`${host.httpBaseUrl}/items/1`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${host.httpBaseUrl}/boom`)).status).toBe(500);
    expect((await fetch(`${host.httpBaseUrl.replace(/\/api$/, '')}/items/1`)).status).toBe(404);
  });

  it('fires timer triggers on their NCRONTAB schedule', async () => {
    const before = seen().ticks;
    await eventually(() => (seen().ticks >= before + 2 ? true : undefined), 8000);
  });
});
