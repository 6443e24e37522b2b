import '@azure/functions-extensions-servicebus';
import { createRequire } from 'node:module';
import Long from 'long';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import type { ServiceBusMessageContext } from '@azure/functions-extensions-servicebus';
import {
  modelBindingDataFor,
  serviceBusModelBindingSource,
} from '../../../devhost/functionsHost/serviceBusMessageData';
import {
  HeldMessages,
  setSettlementArgv,
  startSettlementServer,
  type SettlementServer,
} from '../../../devhost/functionsHost/settlementServer';

// The resolver the extension registered its factory with (it may carry its own copy of the base package).
const extensionRequire = createRequire(require.resolve('@azure/functions-extensions-servicebus'));
const { ResourceFactoryResolver } = extensionRequire(
  '@azure/functions-extensions-base',
) as typeof import('@azure/functions-extensions-base');

const lockToken = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const calls: unknown[][] = [];
const held = new HeldMessages();
let server: SettlementServer;
let context: ServiceBusMessageContext;
const originalArgv = [...process.argv];

beforeAll(async () => {
  server = await startSettlementServer(held);
  // The argv a CLI might carry: the extension must still see only the worker flags.
  process.argv.push('--port', '7071');
  setSettlementArgv(server.port);
  const message = {
    body: Buffer.from('{"id":"e1","specversion":"1.0","type":"t","source":"s"}'),
    messageId: 'm-1',
    lockToken,
    deliveryCount: 1,
    enqueuedTimeUtc: new Date('2026-01-02T03:04:05.000Z'),
    sequenceNumber: Long.fromNumber(7),
    applicationProperties: { 'dispatch-route': 'r1' },
    contentType: 'application/json',
    state: 'active',
    _rawAmqpMessage: { body: undefined },
  } as ServiceBusReceivedMessage;
  context = ResourceFactoryResolver.getInstance().createClient(
    serviceBusModelBindingSource,
    modelBindingDataFor(message),
  ) as ServiceBusMessageContext;
});

afterAll(async () => {
  await server.close();
  process.argv.splice(0, process.argv.length, ...originalArgv);
});

beforeEach(() => {
  calls.length = 0;
  held.hold(lockToken, {
    complete: () => Promise.resolve(void calls.push(['complete'])),
    abandon: (props) => Promise.resolve(void calls.push(['abandon', props])),
    deadLetter: (reason, description, props) =>
      Promise.resolve(void calls.push(['deadLetter', reason, description, props])),
    defer: (props) => Promise.resolve(void calls.push(['defer', props])),
    renewLock: () => Promise.resolve(void calls.push(['renewLock'])),
  });
});

function single(): ServiceBusReceivedMessage {
  if (Array.isArray(context.messages)) throw new Error('expected one message');
  return context.messages;
}

/**
 * The extension logs every failed settlement call with console.error before rejecting. In the tests that expect
 * a failure that line is captured and asserted (returned by the getter) instead of printed in the test report.
 */
function expectExtensionErrorLog(): () => string {
  const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  return () => {
    const text = spy.mock.calls
      .map((args) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '))
      .join('\n');
    spy.mockRestore();
    return text;
  };
}

describe('Settlement gRPC service (host side of @azure/functions-extensions-servicebus)', () => {
  it('hands the function the message decoded by the extension', () => {
    const message = single();
    expect(message.body).toEqual({ id: 'e1', specversion: '1.0', type: 't', source: 's' });
    expect(message.messageId).toBe('m-1');
    expect(message.lockToken).toBe(lockToken);
    expect(message.applicationProperties).toEqual({ 'dispatch-route': 'r1' });
    expect(Number(message.sequenceNumber)).toBe(7);
  });

  it('completes, abandons, defers and renews through the extension client', async () => {
    await context.actions.complete(single());
    await context.actions.abandon(single());
    await context.actions.defer(single());
    await context.actions.renewMessageLock(single());
    expect(calls).toEqual([['complete'], ['abandon', undefined], ['defer', undefined], ['renewLock']]);
  });

  it('dead-letters with reason and description when they are sent as protobuf StringValue', async () => {
    // The extension types them as strings, but its proto says StringValue: only { value } serialises.
    await context.actions.deadletter(
      single(),
      undefined,
      { value: 'InvalidEvent' } as unknown as string,
      { value: 'json@3: bad' } as unknown as string,
    );
    expect(calls).toEqual([['deadLetter', 'InvalidEvent', 'json@3: bad', undefined]]);
  });

  it('reports the extension 0.2.0-preview limitation: a plain-string reason fails to serialise', async () => {
    const logged = expectExtensionErrorLog();
    await expect(context.actions.deadletter(single(), undefined, 'InvalidEvent', 'x')).rejects.toThrow(
      /serializ/i,
    );
    expect(calls).toEqual([]);
    expect(logged()).toMatch(/^Deadletter request failed:/);
  });

  it('answers NOT_FOUND for a lock token it does not hold', async () => {
    held.release(lockToken);
    const logged = expectExtensionErrorLog();
    await expect(context.actions.complete(single())).rejects.toThrow(/no message with lock token/);
    expect(logged()).toMatch(/^Complete request failed:/);
  });
});
