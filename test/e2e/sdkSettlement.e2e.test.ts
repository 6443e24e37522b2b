import { createRequire } from 'node:module';
import { ServiceBusClient } from '@azure/service-bus';
import {
  bodyText,
  cloudEvent,
  fromStart,
  launchDevStack,
  sendRaw,
  waitForDeadLetter,
  waitForSettled,
  type RunningStack,
} from './devStackHarness';

/**
 * DISPATCH_SETTLEMENT_MODE=sdk: the trigger gets the message through @azure/functions-extensions-servicebus
 * (model binding data + gRPC settlement) and dead-letters directly with DeadLetterReason/Description.
 *
 * Packaging problem this works around: @azure/functions 4.16 pins @azure/functions-extensions-base 0.3.0 while
 * the extension (0.2.0-preview) wants ^0.2.0-preview, so npm installs two copies and the extension registers its
 * message factory where the worker never looks: every SDK-bound invocation fails, in Azure as on the local host
 * (which says so). The fix is an npm override. Until the install has it, nothing here works: the
 * first test below checks the install has exactly one copy (package.json "overrides").
 */
function sharesExtensionsBase(): boolean {
  const base = (from: string): unknown =>
    (
      createRequire(require.resolve(from))('@azure/functions-extensions-base') as {
        ResourceFactoryResolver: unknown;
      }
    ).ResourceFactoryResolver;
  return base('@azure/functions') === base('@azure/functions-extensions-servicebus');
}

describe('the install', () => {
  it('has ONE copy of @azure/functions-extensions-base (package.json override), or sdkBinding fails in Azure', () => {
    expect(sharesExtensionsBase()).toBe(true);
  });
});

describe('dispatcher end to end (sdk settlement)', () => {
  let stack: RunningStack;
  let client: ServiceBusClient;
  const ok = cloudEvent('e2e.ok');
  const failing = cloudEvent('e2e.fail');
  const unroutable = cloudEvent('e2e.nothing-matches');
  const invalidJson = `{"specversion":"1.0","id":"sdk-poison-${Date.now()}",`;

  beforeAll(async () => {
    stack = await launchDevStack({ settings: { DISPATCH_SETTLEMENT_MODE: 'sdk' } });
    client = new ServiceBusClient(stack.connectionString);
    for (const event of [ok, failing, unroutable]) await sendRaw(client, JSON.stringify(event), event.id);
    await sendRaw(client, invalidJson);
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await stack?.stop();
  });

  it('runs a job to success', async () => {
    const jobs = await waitForSettled(stack.httpBase, ok.id, 1);
    expect(jobs.map((j) => [j.attempt, j.phase, j.exitCode])).toEqual([[1, 'Succeeded', 0]]);
  });

  it('dead-letters invalid JSON directly, with the reason on the broker message', async () => {
    const dead = await waitForDeadLetter(client, 'invalid JSON', (m) => bodyText(m) === invalidJson);
    expect(dead.deadLetterReason).toBe('InvalidEvent');
    expect(dead.deadLetterErrorDescription ?? '').toMatch(/JSON/i);
    // Dead-lettered by the function on the first delivery, not by MaxDeliveryCount.
    expect(dead.deliveryCount ?? 0).toBeLessThanOrEqual(1);
  });

  it('dead-letters an unroutable event as NoRoute', async () => {
    const dead = await waitForDeadLetter(client, 'no route', (m) => bodyText(m).includes(unroutable.id));
    expect(dead.deadLetterReason).toBe('NoRoute');
  });

  it('dead-letters a failing job after its attempts with reason and log tail', async () => {
    const jobs = await waitForSettled(stack.httpBase, failing.id, 1);
    expect(jobs.map((j) => [j.attempt, j.phase])).toEqual([
      [1, 'Requeued'],
      [2, 'DeadLettered'],
    ]);
    const dead = await waitForDeadLetter(client, failing.id, (m) => bodyText(m).includes(failing.id));
    expect(dead.deadLetterReason).toBe('JobFailed');
    expect(dead.deadLetterErrorDescription ?? '').toContain('e2e-fail-marker');
  });

  it('leaves nothing behind on the dispatch queue', async () => {
    const receiver = client.createReceiver('dispatch');
    try {
      expect((await receiver.peekMessages(100, fromStart)).map(bodyText)).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});
