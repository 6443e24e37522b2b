import { createInvocationContextWithDurableClient } from '../../../devhost/durable/createInvocationContextWithDurableClient';
import type { FunctionRegistration } from '../../../devhost/registrations/captureRegistrations';
import type { SdkMessage } from '../../../functions/dispatchEvent/dispatchEventHandler';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import { startDispatchJobHarness, type DispatchJobHarness } from '../../support/dispatchJobHarness';
import { RecordingMessageActions } from '../../support/recordingMessageActions';
import { triggerSettings } from '../../support/triggerEnvironment';
import { testSigner } from '../../support/testSigner';

/*
 * The registered trigger in `sdk` settlement mode. The host side (gRPC settlement service) belongs to the local
 * host; here the ServiceBusMessageContext is built as the extension builds it ({ messages, actions }) with
 * recording actions, and orchestrations start in the local Durable engine.
 */

let harness: DispatchJobHarness;
let trigger: FunctionRegistration;
let lock = 0;

beforeAll(async () => {
  harness = await startDispatchJobHarness({
    scriptFor: () => ({ neverEnds: true }),
    settings: triggerSettings({ DISPATCH_SETTLEMENT_MODE: 'sdk' }),
  });
  trigger = harness.registry.get('dispatchEvent')!;
});

afterAll(async () => {
  await harness?.close();
});

const event = (overrides: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: 'evt-1',
  source: '/tests',
  type: 'demo.hello',
  ...overrides,
});

async function deliver(
  body: unknown,
  applicationProperties: Record<string, unknown> = {},
  beforeInvoke?: () => Promise<void>,
  raw?: Buffer,
) {
  const actions = new RecordingMessageActions();
  const message: SdkMessage = {
    body,
    // As rhea decodes a data section: what eventMessageFromServiceBus reads instead of the lossy body.
    ...(raw ? { _rawAmqpMessage: { body: { typecode: 0x75, content: raw } } } : {}),
    applicationProperties,
    messageId: `m-${++lock}`,
    deliveryCount: 1,
    lockToken: `lock-${lock}`,
  };
  const context = createInvocationContextWithDurableClient(harness.engine, {
    invocationId: `inv-${lock}`,
    functionName: 'dispatchEvent',
    logHandler: () => undefined,
    triggerMetadata: {},
    options: { trigger: trigger.trigger, extraInputs: trigger.extraInputs },
  });
  await beforeInvoke?.();
  let error: unknown;
  try {
    await trigger.handler({ messages: message, actions }, context);
  } catch (err) {
    error = err;
  }
  return { settlements: actions.settlements, error };
}

describe('dispatchEvent trigger (sdk settlement)', () => {
  it('registers with sdkBinding and without auto-complete', () => {
    expect(trigger.trigger).toMatchObject({
      type: 'serviceBusTrigger',
      queueName: 'dispatch',
      sdkBinding: true,
      autoCompleteMessages: false,
    });
  });

  it('completes the message after starting the orchestration', async () => {
    const result = await deliver(JSON.stringify(event()));
    expect(result).toEqual({ settlements: [{ action: 'complete', lockToken: 'lock-1' }], error: undefined });
    expect(
      (await harness.client.getStatus(instanceIdFor('hello', { source: '/tests', id: 'evt-1' }, 1)))
        .customStatus,
    ).toMatchObject({
      route: 'hello',
    });
  });

  it('completes a duplicate delivery without starting anything', async () => {
    const before = harness.engine.counters.orchestrationsStarted;
    const result = await deliver(event());
    expect(result.settlements).toEqual([{ action: 'complete', lockToken: expect.any(String) as unknown }]);
    expect(harness.engine.counters.orchestrationsStarted).toBe(before);
  });

  it('dead-letters poison directly with DeadLetterReason / DeadLetterErrorDescription', async () => {
    expect((await deliver('{"id": 1')).settlements).toEqual([
      {
        action: 'deadletter',
        lockToken: expect.any(String) as unknown,
        reason: 'InvalidEvent',
        description: "invalid JSON at line 1, column 9: unexpected end of input, expected ',' or '}'",
      },
    ]);
    expect((await deliver(event({ specversion: '2.0' }))).settlements[0]).toMatchObject({
      reason: 'InvalidEvent',
      description: 'specversion: expected "1.0", got "2.0"',
    });
    expect((await deliver(event({ id: 'evt-big', data: 'x'.repeat(4000) }))).settlements[0]).toMatchObject({
      reason: 'InvalidEvent',
      description: expect.stringMatching(/^body: \d+ bytes is over the limit of 2048 bytes/) as unknown,
    });
    expect((await deliver(event({ id: 'evt-none', type: 'nobody.cares' }))).settlements[0]).toMatchObject({
      reason: 'NoRoute',
      description: 'no route matches type "nobody.cares", source "/tests"',
    });
  });

  it('dead-letters a marked copy (from an orchestration) with the reason it carries', async () => {
    const result = await deliver(
      JSON.stringify(event({ id: 'evt-failed' })),
      testSigner.properties(
        { source: '/tests', id: 'evt-failed' },
        { route: 'hello', attempt: 3, deadLetterReason: 'JobFailed' },
        { deadLetterDescription: 'route hello, attempt 3/3: container exited with code 1' },
      ),
    );
    expect(result.settlements).toEqual([
      {
        action: 'deadletter',
        lockToken: expect.any(String) as unknown,
        reason: 'JobFailed',
        description: 'route hello, attempt 3/3: container exited with code 1',
      },
    ]);
    expect(result.error).toBeUndefined();
  });

  it('starts a requeued copy for its route and attempt', async () => {
    const identity = { source: '/tests', id: 'evt-rq' };
    const result = await deliver(
      JSON.stringify(event({ id: 'evt-rq' })),
      testSigner.properties(identity, { route: 'hello', attempt: 2 }),
    );
    expect(result.settlements[0]).toMatchObject({ action: 'complete' });
    expect((await harness.client.getStatus(instanceIdFor('hello', identity, 2))).customStatus).toMatchObject({
      attempt: 2,
    });
  });

  it('dead-letters an unsigned dead-letter mark as untrusted instead of obeying it', async () => {
    const result = await deliver(JSON.stringify(event({ id: 'evt-forged' })), {
      'dispatch-dead-letter-reason': 'JobFailed',
    });
    expect(result.settlements[0]).toMatchObject({
      action: 'deadletter',
      reason: 'InvalidEvent',
      description: expect.stringMatching(/without dispatch-signature/) as unknown,
    });
  });

  it('rejects invalid UTF-8 in the raw body that the extension decoded with replacement characters', async () => {
    const raw = Buffer.concat([
      Buffer.from('{"specversion":"1.0","id":"evt-utf8","source":"/tests","type":"demo.hello","data":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    const result = await deliver(raw.toString('utf8'), {}, undefined, raw);
    expect(result.settlements[0]).toMatchObject({
      action: 'deadletter',
      reason: 'InvalidEvent',
      description: expect.stringMatching(/UTF-8/) as unknown,
    });
  });

  it('abandons the message and fails the invocation when orchestrations cannot be started', async () => {
    // The client binding data is taken while the engine listens; then the engine goes away.
    const result = await deliver(JSON.stringify(event({ id: 'evt-down' })), {}, () => harness.engine.stop());
    expect(result.settlements).toEqual([{ action: 'abandon', lockToken: expect.any(String) as unknown }]);
    expect(result.error).toBeInstanceOf(Error);
  });
});
