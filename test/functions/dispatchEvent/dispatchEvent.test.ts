import { InvocationContext } from '@azure/functions';
import { ServiceBusClient, type ServiceBusMessage, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { createTableClient } from '../../../adapters/ledger/createTableClient';
import { TableEventLedger } from '../../../adapters/ledger/tableEventLedger';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { createInvocationContextWithDurableClient } from '../../../devhost/durable/createInvocationContextWithDurableClient';
import { triggerBodyFor, triggerMetadataFor } from '../../../devhost/functionsHost/serviceBusMessageData';
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

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ port: 0, config });
  sb = new ServiceBusClient(emulator.connectionString);
  eventQueue = new ServiceBusEventQueue({ client: sb, queueName: 'dispatch', signer: testSigner });
  azurite = await startAzurite();
  ledger = new TableEventLedger({
    client: createTableClient(
      { kind: 'connectionString', connectionString: azurite.connectionString },
      new EmulatorCredential(),
      'ledger',
    ),
    createTable: true,
  });
  harness = await startDispatchJobHarness({
    ledger,
    scriptFor: () => ({ neverEnds: true }),
    settings: triggerSettings({
      ServiceBusConnection: emulator.connectionString,
      DISPATCH_SETTLEMENT_MODE: 'classic',
    }),
    eventQueue,
  });
  trigger = harness.registry.get('dispatchEvent')!;
});

afterAll(async () => {
  await harness?.close();
  await eventQueue?.close();
  await sb?.close();
  await emulator?.close();
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

/** Sends a message to the queue with the SDK and invokes the trigger with it as the host delivers it. */
async function deliver(message: ServiceBusMessage): Promise<ServiceBusReceivedMessage> {
  const sender = sb.createSender('dispatch');
  await sender.sendMessages(message);
  await sender.close();
  const id = messageIdText(message.messageId);
  const received = await receiveOne((m) => messageIdText(m.messageId) === id);
  await invoke(triggerBodyFor(received), triggerMetadataFor(received));
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
  const text = copy.applicationProperties?.[DispatchProperty.deadLetterDescription];
  if (typeof description === 'string') expect(text).toBe(description);
  else expect(text).toMatch(description);
  return copy;
}

describe('dispatchEvent trigger (classic settlement)', () => {
  it('is registered on DISPATCH_QUEUE_NAME with connection ServiceBusConnection and a durable client input', () => {
    expect(trigger.trigger).toMatchObject({
      type: 'serviceBusTrigger',
      queueName: 'dispatch',
      connection: 'ServiceBusConnection',
    });
    expect(trigger.trigger).not.toHaveProperty('sdkBinding', true);
    expect(trigger.extraInputs.map((i) => i.type)).toContain('durableClient');
  });

  it('starts one orchestration for a valid event, with the deterministic instance id', async () => {
    await invoke(event());
    const id = instanceIdFor('hello', T('evt-1'), 1);
    const status = await harness.client.getStatus(id);
    expect(status.name).toBe('dispatchJob');
    expect(status.customStatus).toMatchObject({ route: 'hello', eventId: 'evt-1', attempt: 1 });
    expect(harness.engine.counters.orchestrationsStarted).toBe(1);
    expect(await ledger.find({ eventId: 'evt-1', source: '/tests' })).toMatchObject({
      type: 'demo.hello',
      routes: ['hello'],
      attempts: [{ route: 'hello', attempt: 1, instanceId: id }],
    });
  });

  it('starts nothing for a duplicate delivery, whatever form the body arrives in', async () => {
    const before = harness.engine.counters.orchestrationsStarted;
    await invoke(event());
    await invoke(JSON.stringify(event()));
    await invoke(Buffer.from(JSON.stringify(event())));
    expect(harness.engine.counters.orchestrationsStarted).toBe(before);
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
    const before = harness.engine.counters.orchestrationsStarted;
    const identity = T('evt-rq', '/audited/y');
    await invoke(event({ id: 'evt-rq', source: '/audited/y' }), {
      applicationProperties: testSigner.properties(identity, { route: 'audit', attempt: 2 }),
    });
    expect(harness.engine.counters.orchestrationsStarted).toBe(before + 1);
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
    await invoke(triggerBodyFor(first), triggerMetadataFor(first));
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

  it('rejects a marked copy on every delivery (so MaxDeliveryCount dead-letters it), as the host delivers it', async () => {
    await invoke('not json');
    const copy = await expectDeadLetterCopy('InvalidEvent', /^invalid JSON at line 1, column 1/);
    const before = harness.engine.counters.orchestrationsStarted;
    for (let delivery = 0; delivery < 2; delivery++) {
      await expect(invoke(triggerBodyFor(copy), triggerMetadataFor(copy))).rejects.toThrow(
        MarkedForDeadLetterError,
      );
    }
    expect(harness.engine.counters.orchestrationsStarted).toBe(before);
    // The marked copies are the dispatcher's own: only the original delivery is in the ledger.
    const [recorded] = await ledger.findById(`msg-${invocation - 2}`);
    expect(recorded).toMatchObject({ deliveries: 1, rejection: { reason: 'InvalidEvent' } });
  });
});
