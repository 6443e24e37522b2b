import { InvocationContext } from '@azure/functions';
import { ServiceBusClient, type ServiceBusMessage, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { TableEventLedger } from '../../../adapters/ledger/tableEventLedger';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { createInvocationContextWithDurableClient } from '../../../devhost/durable/createInvocationContextWithDurableClient';
import { triggerInputFor, triggerMetadataFor } from '../../../devhost/functionsHost/serviceBusMessageData';
import type { FunctionRegistration } from '../../../devhost/registrations/captureRegistrations';
import {
  startServiceBusEmulator,
  type RunningServiceBusEmulator,
} from '../../../devhost/servicebus/startServiceBusEmulator';
import { MarkedForDeadLetterError } from '../../../functions/dispatchEvent/dispatchEventHandler';
import { DispatchProperty } from '../../../adapters/serviceBus/eventQueue';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import { ServiceBusEventQueue } from '../../../adapters/serviceBus/serviceBusEventQueue';
import { startDispatchJobHarness, type DispatchJobHarness } from '../../support/dispatchJobHarness';
import { triggerSettings } from '../../support/triggerEnvironment';
import { dispatchQueueConfig } from '../../support/serviceBusTestConfig';
import { testSigner } from '../../support/testSigner';
import { messageIdText } from '../../../shared/naming/messageIdText';
import { recordMetrics } from '../../support/metricsRecorder';
import { MetricName } from '../../../shared/metrics/dispatchMetrics';
import { azuriteLedger } from '../../support/azuriteTables';

/*
 * The Service Bus trigger (classic settlement) as registerFunctions registers it, called with InvocationContexts
 * carrying the local Durable engine's client; dead-letter copies go through the real ServiceBusEventQueue to the
 * Service Bus emulator and are read back from it.
 */

const config = dispatchQueueConfig();

let emulator: RunningServiceBusEmulator;
let azurite: RunningAzurite;
let ledger: TableEventLedger;
let sb: ServiceBusClient;
let harness: DispatchJobHarness;
let trigger: FunctionRegistration;
let eventQueue: ServiceBusEventQueue;
let invocation = 0;
const logs: string[] = [];
const recorder = recordMetrics();

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ port: 0, config });
  sb = new ServiceBusClient(emulator.connectionString);
  eventQueue = new ServiceBusEventQueue({ client: sb, queueName: 'dispatch', signer: testSigner });
  azurite = await startAzurite();
  ledger = azuriteLedger(azurite);
  harness = await startDispatchJobHarness({
    ledger,
    scriptFor: () => ({ neverEnds: true }),
    settings: triggerSettings({
      ServiceBusConnection: emulator.connectionString,
      DISPATCH_SETTLEMENT_MODE: 'classic',
    }),
    eventQueue,
    metrics: recorder.metrics,
  });
  trigger = harness.registry.get('dispatchEvent')!;
});

afterAll(async () => {
  await harness?.close();
  await eventQueue?.close();
  await sb?.close();
  await emulator?.close();
  await recorder.close();
  await azurite?.close();
});

const event = (overrides: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: 'evt-1',
  source: '/tests',
  type: 'demo.hello',
  data: { n: 1 },
  ...overrides,
});

function invoke(body: unknown, triggerMetadata: Record<string, unknown> = {}): Promise<unknown> {
  const context = createInvocationContextWithDurableClient(harness.engine, {
    invocationId: `inv-${++invocation}`,
    functionName: 'dispatchEvent',
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
    triggerMetadata: {
      messageId: `msg-${invocation}`,
      deliveryCount: 1,
      applicationProperties: {},
      ...triggerMetadata,
    },
    options: { trigger: trigger.trigger, extraInputs: trigger.extraInputs },
  });
  expect(context).toBeInstanceOf(InvocationContext);
  return Promise.resolve(trigger.handler(body, context));
}

const T = (id: string, source = '/tests') => ({ source, id });

/** The trigger argument the host builds for this registration (its dataType: the body's bytes in classic mode). */
const hostInput = (message: ServiceBusReceivedMessage): unknown =>
  triggerInputFor(message, trigger.trigger.dataType);

/** Sends a message to the queue with the SDK and invokes the trigger with it as the host delivers it. */
async function deliver(message: ServiceBusMessage): Promise<ServiceBusReceivedMessage> {
  const sender = sb.createSender('dispatch');
  await sender.sendMessages(message);
  await sender.close();
  const id = messageIdText(message.messageId);
  const received = await receiveOne((m) => messageIdText(m.messageId) === id);
  await invoke(hostInput(received), triggerMetadataFor(received));
  return received;
}

/** Messages received while looking for another one; receiveOne hands them out first. */
const pending: ServiceBusReceivedMessage[] = [];

async function receiveOne(
  wanted: (message: ServiceBusReceivedMessage) => boolean = () => true,
): Promise<ServiceBusReceivedMessage> {
  const index = pending.findIndex(wanted);
  if (index >= 0) return pending.splice(index, 1)[0]!;
  const receiver = sb.createReceiver('dispatch', {
    receiveMode: 'receiveAndDelete',
    skipParsingBodyAsJson: true,
  });
  try {
    for (;;) {
      const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
      if (!message) throw new Error('no dead-letter copy arrived');
      if (wanted(message)) return message;
      pending.push(message);
    }
  } finally {
    await receiver.close();
  }
}

async function expectDeadLetterCopy(
  reason: string,
  description: string | RegExp,
): Promise<ServiceBusReceivedMessage> {
  const copy = await receiveOne();
  expect(copy.applicationProperties?.[DispatchProperty.deadLetterReason]).toBe(reason);
  const described = String(copy.applicationProperties?.[DispatchProperty.deadLetterDescription]);
  // Classic mode names the producer's MessageId first, so the producer can find its message in the DLQ.
  expect(described).toMatch(/^original MessageId [^:]+: /);
  expect(copy.applicationProperties?.['dispatch-original-message-id']).toMatch(
    /^(msg-[\w-]+|forged-[a-z-]+|deep)$/,
  );
  const text = described.replace(/^original MessageId [^:]+: /, '');
  if (typeof description === 'string') expect(text).toBe(description);
  else expect(text).toMatch(description);
  return copy;
}

/** dispatchJob instances started (the admission coordinator, started by the first job's slot request, is not one). */
function dispatchJobsStarted(): number {
  return harness.engine.listInstances().filter((i) => i.name === 'dispatchJob').length;
}

describe('dispatchEvent trigger (classic settlement)', () => {
  it('is registered on DISPATCH_QUEUE_NAME with connection ServiceBusConnection and a durable client input', () => {
    expect(trigger.trigger).toMatchObject({
      type: 'serviceBusTrigger',
      queueName: 'dispatch',
      connection: 'ServiceBusConnection',
    });
    expect(trigger.trigger).not.toHaveProperty('sdkBinding', true);
    // The body's bytes, so the strict parser sees invalid UTF-8 and duplicate keys (not the host's decoding).
    expect(trigger.trigger).toHaveProperty('dataType', 'binary');
    expect(trigger.extraInputs.map((i) => i.type)).toContain('durableClient');
  });

  it('starts one orchestration for a valid event, with the deterministic instance id', async () => {
    await invoke(event());
    const id = instanceIdFor('hello', T('evt-1'), 1);
    const status = await harness.client.getStatus(id);
    expect(status.name).toBe('dispatchJob');
    expect(status.customStatus).toMatchObject({ route: 'hello', eventId: 'evt-1', attempt: 1 });
    expect(dispatchJobsStarted()).toBe(1);
    expect(await ledger.find({ eventId: 'evt-1', source: '/tests' })).toMatchObject({
      type: 'demo.hello',
      routes: ['hello'],
      attempts: [{ route: 'hello', attempt: 1, instanceId: id }],
    });
  });

  it('starts nothing for a duplicate delivery, whatever form the body arrives in', async () => {
    const before = dispatchJobsStarted();
    await invoke(event());
    await invoke(JSON.stringify(event()));
    await invoke(Buffer.from(JSON.stringify(event())));
    expect(dispatchJobsStarted()).toBe(before);
    const id = instanceIdFor('hello', T('evt-1'), 1);
    expect(logs.filter((l) => l.includes(`instance ${id} already exists (duplicate delivery)`))).toHaveLength(
      3,
    );
    const recorded = await ledger.find({ eventId: 'evt-1', source: '/tests' });
    expect(recorded).toMatchObject({ deliveries: 4, attempts: [{ instanceId: id }] });
  });

  it('fans out to every matching route', async () => {
    await invoke(event({ id: 'evt-fan', source: '/audited/x' }));
    for (const route of ['hello', 'audit']) {
      expect(
        (await harness.client.getStatus(instanceIdFor(route, T('evt-fan', '/audited/x'), 1))).customStatus,
      ).toMatchObject({ route, eventId: 'evt-fan' });
    }
  });

  it('dead-letters invalid JSON with its position (InvalidEvent)', async () => {
    await invoke('{"specversion": "1.0",\n "id": }');
    const copy = await expectDeadLetterCopy(
      'InvalidEvent',
      'invalid JSON at line 2, column 8: unexpected "}", expected a JSON value',
    );
    expect(copy.body).toEqual(Buffer.from('{"specversion": "1.0",\n "id": }'));
  });

  it('dead-letters missing attributes naming each one', async () => {
    await invoke({ specversion: '1.0', id: 'evt-x', type: '' });
    await expectDeadLetterCopy(
      'InvalidEvent',
      'source: missing required attribute, expected a non-empty string; type: must not be empty',
    );
    // Found under the id its producer gave it, although it is no valid CloudEvent.
    expect(await ledger.findById('evt-x')).toEqual([
      expect.objectContaining({
        source: '',
        rejection: expect.objectContaining({ reason: 'InvalidEvent' }) as unknown,
      }),
    ]);
  });

  it('dead-letters an oversize body, saying size and limit', async () => {
    const big = event({ id: 'evt-big', data: 'x'.repeat(3000) });
    await invoke(big);
    await expectDeadLetterCopy(
      'InvalidEvent',
      `body: ${Buffer.byteLength(JSON.stringify(big))} bytes is over the limit of 2048 bytes (DISPATCH_MAX_EVENT_BYTES)`,
    );
  });

  it('dead-letters an event no route matches (NoRoute)', async () => {
    await invoke(event({ id: 'evt-none', type: 'other.thing', subject: 'a/b' }));
    await expectDeadLetterCopy(
      'NoRoute',
      'no route matches type "other.thing", source "/tests", subject "a/b"',
    );
    expect(await ledger.findById('evt-none')).toEqual([
      expect.objectContaining({
        source: '/tests',
        type: 'other.thing',
        subject: 'a/b',
        routes: [],
        attempts: [],
        rejection: expect.objectContaining({
          reason: 'NoRoute',
          description: 'no route matches type "other.thing", source "/tests", subject "a/b"',
        }) as unknown,
      }),
    ]);
  });

  it('runs a signed requeued copy for its one route and attempt only', async () => {
    const before = dispatchJobsStarted();
    const identity = T('evt-rq', '/audited/y');
    await invoke(event({ id: 'evt-rq', source: '/audited/y' }), {
      applicationProperties: testSigner.properties(identity, { route: 'audit', attempt: 2 }),
    });
    expect(dispatchJobsStarted()).toBe(before + 1);
    expect((await harness.client.getStatus(instanceIdFor('audit', identity, 2))).customStatus).toMatchObject({
      route: 'audit',
      attempt: 2,
      eventSource: '/audited/y',
    });
  });

  it('dead-letters a signed copy whose route is gone (NoRoute)', async () => {
    await invoke(event({ id: 'evt-gone' }), {
      applicationProperties: testSigner.properties(T('evt-gone'), { route: 'removed', attempt: 3 }),
    });
    await expectDeadLetterCopy(
      'NoRoute',
      'route "removed" named by this copy (attempt 3) is no longer in the routes file',
    );
  });

  // Issue 11, finding 1: a sender steered the dispatcher through the properties it trusts on its own copies.
  it.each([
    ['runs another route', { 'dispatch-route': 'audit' }],
    ['skips every retry', { 'dispatch-attempt': 99 }],
    ['dead-letters a valid event', { 'dispatch-dead-letter-reason': 'JobFailed' }],
  ])(
    'does not let a sender that %s steer it: the event is rejected with the reason, nothing runs',
    async (_what, props) => {
      const before = harness.engine.counters.orchestrationsStarted;
      await deliver({
        body: Buffer.from(JSON.stringify(event({ id: `forged-${Object.keys(props)[0]}` }))),
        messageId: `forged-${Object.keys(props)[0]}`,
        applicationProperties: props,
      });
      await expectDeadLetterCopy('InvalidEvent', /reserved for the dispatcher's own signed copies$/);
      expect(harness.engine.counters.orchestrationsStarted).toBe(before);
    },
  );

  // Issue 11, finding 4: identity is (source, id).
  it('runs two events with the same id from different sources; a duplicate of the second does not run', async () => {
    const before = harness.engine.counters.orchestrationsStarted;
    await invoke(event({ id: 'evt-shared', source: '/one' }));
    await invoke(event({ id: 'evt-shared', source: '/two' }));
    await invoke(event({ id: 'evt-shared', source: '/two' }));
    expect(harness.engine.counters.orchestrationsStarted).toBe(before + 2);
    for (const source of ['/one', '/two']) {
      expect(
        (await harness.client.getStatus(instanceIdFor('hello', T('evt-shared', source), 1))).customStatus,
      ).toMatchObject({
        eventId: 'evt-shared',
        eventSource: source,
      });
    }
  });

  // Issue 11, finding 5: poison handling holes, each through the SDK, the emulator and the host's delivery.
  it('dead-letters a 10 KB event with 5,000 levels of nesting as InvalidEvent, keeping its bytes', async () => {
    const deep = `{"specversion":"1.0","id":"evt-deep","source":"/tests","type":"demo.hello","data":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const settings = triggerSettings({ DISPATCH_MAX_EVENT_BYTES: '16384' });
    expect(Buffer.byteLength(deep)).toBeLessThan(settings.maxEventBytes);
    await deliver({ body: Buffer.from(deep), messageId: 'deep' });
    const copy = await expectDeadLetterCopy(
      'InvalidEvent',
      /^body: nesting level 65 is deeper than the limit of 64|^body: 10/,
    );
    expect(copy.body).toEqual(Buffer.from(deep));
  });

  it('yields one dead-letter copy per poison message, even for numeric MessageIds and equal bodies', async () => {
    const first = await deliver({ body: Buffer.from('{oops'), messageId: 1001 });
    await deliver({ body: Buffer.from('{oops'), messageId: 1002 });
    const copies = [await receiveOne(), await receiveOne()];
    expect(copies.map((c): unknown => c.body)).toEqual([Buffer.from('{oops'), Buffer.from('{oops')]);
    expect(new Set(copies.map((c) => c.messageId)).size).toBe(2);
    // A redelivery of the same message yields the same copy, which duplicate detection drops.
    await invoke(hostInput(first), triggerMetadataFor(first));
    await expect(receiveOne()).rejects.toThrow('no dead-letter copy arrived');
  });

  it('copies a bounded, sanitised subset of the sender properties (no 60,000-character property)', async () => {
    await deliver({
      body: Buffer.from('{oops'),
      messageId: 'big-props',
      applicationProperties: { tenant: 'acme', huge: 'x'.repeat(60_000) },
    });
    const copy = await receiveOne();
    expect(copy.applicationProperties?.['tenant']).toBe('acme');
    expect((copy.applicationProperties?.['huge'] as string).length).toBe(512);
    expect(JSON.stringify(copy.applicationProperties).length).toBeLessThan(16_384);
  });

  it("keeps the producer's MessageId, CorrelationId, Subject, ContentType and properties on the copy", async () => {
    await invoke('not json', {
      messageId: 'producer-42',
      correlationId: 'corr-9',
      subject: 'orders',
      contentType: 'text/plain',
      applicationProperties: { tenant: 'acme', priority: 3, 'dispatch-route': 'forged' },
    });
    const copy = await receiveOne();
    expect(copy).toMatchObject({ correlationId: 'corr-9', subject: 'orders', contentType: 'text/plain' });
    expect(copy.messageId).not.toBe('producer-42');
    expect(copy.applicationProperties).toMatchObject({
      tenant: 'acme',
      priority: 3,
      'dispatch-original-message-id': 'producer-42',
      'dispatch-dead-letter-reason': 'InvalidEvent',
    });
    expect(copy.applicationProperties?.['dispatch-route']).toBeUndefined();
    expect(copy.applicationProperties?.['dispatch-dead-letter-description']).toMatch(
      /^original MessageId producer-42: contentType: "text\/plain" is not a CloudEvent/,
    );
  });

  it('rejects a marked copy on every delivery (so MaxDeliveryCount dead-letters it), as the host delivers it', async () => {
    await invoke('not json');
    const copy = await expectDeadLetterCopy('InvalidEvent', /^invalid JSON at line 1, column 1/);
    const before = dispatchJobsStarted();
    for (let delivery = 0; delivery < 2; delivery++) {
      await expect(invoke(hostInput(copy), triggerMetadataFor(copy))).rejects.toThrow(
        MarkedForDeadLetterError,
      );
    }
    expect(dispatchJobsStarted()).toBe(before);
    // The marked copies are the dispatcher's own: only the original delivery is in the ledger.
    const [recorded] = await ledger.findById(`msg-${invocation - 2}`);
    expect(recorded).toMatchObject({ deliveries: 1, rejection: { reason: 'InvalidEvent' } });
  });

  it('rejects a marked copy with one line and no stack frames (an expected outcome, not a bug)', async () => {
    await invoke('still not json');
    const copy = await expectDeadLetterCopy('InvalidEvent', /^invalid JSON/);
    const rejected = await invoke(hostInput(copy), triggerMetadataFor(copy)).catch((err: unknown) => err);
    expect(rejected).toBeInstanceOf(MarkedForDeadLetterError);
    expect((rejected as Error).stack).not.toContain('\n');
  });

  it('counts an event received once per route it starts, and a rejection by reason', async () => {
    const received = () => recorder.total(MetricName.eventsReceived, { route: 'hello' });
    const rejected = (reason: string) => recorder.total(MetricName.eventsRejected, { reason });
    const before = {
      received: await received(),
      invalid: await rejected('InvalidEvent'),
      none: await rejected('NoRoute'),
    };
    await invoke(event({ id: 'evt-counted' }));
    await invoke(event({ id: 'evt-counted' })); // a duplicate delivery: not a new event
    await invoke('{"not json');
    await expectDeadLetterCopy('InvalidEvent', /invalid JSON/);
    await invoke(event({ id: 'evt-unroutable', type: 'other.thing' }));
    await expectDeadLetterCopy('NoRoute', /no route/);
    expect(await received()).toBe(before.received + 1);
    expect(await rejected('InvalidEvent')).toBe(before.invalid + 1);
    expect(await rejected('NoRoute')).toBe(before.none + 1);
  });

  // The chaos fuzz run: these looped to MaxDeliveryCountExceeded with no dispatcher reason, because recording the
  // rejection keyed the ledger by the id the body carried (URIError on a lone surrogate; a 300 KB Table property).
  it('dead-letters an id that is a lone surrogate escape as InvalidEvent, recorded under its MessageId', async () => {
    const body = '{"specversion":"1.0","id":"\\ud800","source":"/tests","type":"demo.hello","x":1}';
    const before = dispatchJobsStarted();
    const received = await deliver({ body: Buffer.from(body), messageId: 'msg-surrogate' });
    expect(hostInput(received)).toEqual(Buffer.from(body));
    const copy = await expectDeadLetterCopy(
      'InvalidEvent',
      'invalid JSON at line 1, column 27: string contains an unpaired surrogate \\ud800, which is not valid Unicode (at id)',
    );
    expect(copy.body).toEqual(Buffer.from(body));
    expect(dispatchJobsStarted()).toBe(before);
    expect(await ledger.findById('msg-surrogate')).toEqual([
      expect.objectContaining({ rejection: expect.objectContaining({ reason: 'InvalidEvent' }) as unknown }),
    ]);
  });

  it('dead-letters a 300 KB id (and one just over its bound) as InvalidEvent, recorded under its MessageId', async () => {
    const big = `{"specversion":"1.0","id":"${'i'.repeat(300_000)}","source":"/tests","type":"demo.hello"}`;
    await deliver({ body: Buffer.from(big), messageId: 'msg-big-id' });
    await expectDeadLetterCopy('InvalidEvent', /^body: 300\d+ bytes is over the limit of 2048 bytes/);
    expect(await ledger.findById('msg-big-id')).toHaveLength(1);
    await deliver({
      body: Buffer.from(JSON.stringify(event({ id: 'i'.repeat(300) }))),
      messageId: 'msg-long-id',
    });
    await expectDeadLetterCopy(
      'InvalidEvent',
      'id: is 300 characters long, over the limit of 256 for this attribute',
    );
    expect(await ledger.findById('msg-long-id')).toHaveLength(1);
  });

  // Classic mode used to read the host's decoded body: U+FFFD for invalid UTF-8, the last of duplicate keys.
  it('rejects invalid UTF-8 and duplicate keys as the strict byte parser does, keeping the bytes', async () => {
    const before = dispatchJobsStarted();
    const invalid = Buffer.concat([
      Buffer.from('{"specversion":"1.0","id":"evt-utf8","source":"/tests","type":"demo.hello","data":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]);
    await deliver({ body: invalid, messageId: 'msg-utf8' });
    const copy = await expectDeadLetterCopy(
      'InvalidEvent',
      /^body: invalid UTF-8 at byte 86 \(0xe9 0x22 0x7d\)/,
    );
    expect(copy.body).toEqual(invalid);
    const duplicate =
      '{"specversion":"1.0","id":"evt-dup","id":"evt-dup2","source":"/tests","type":"demo.hello"}';
    await deliver({ body: Buffer.from(duplicate), messageId: 'msg-dup' });
    await expectDeadLetterCopy('InvalidEvent', /duplicate property "id"/);
    expect(dispatchJobsStarted()).toBe(before);
  });
});
