import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
 * (which says so). The fix is an npm override. Until the install has it, the stack under test gets a resolution
 * shim (in its own process) that does what the override would: one copy for everybody.
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

const shimDir = mkdtempSync(join(tmpdir(), 'dispatcher-sdk-shim-'));

function stackEnvironment(): NodeJS.ProcessEnv {
  if (sharesExtensionsBase()) return process.env;
  console.warn(
    'sdk settlement e2e: two copies of @azure/functions-extensions-base are installed, so sdkBinding fails in Azure. ' +
      'Fix: package.json "overrides": { "@azure/functions-extensions-servicebus": ' +
      '{ "@azure/functions-extensions-base": "0.3.0" } } and npm install. Simulating that override for this test.',
  );
  const single = require.resolve('@azure/functions-extensions-base', {
    paths: [dirname(require.resolve('@azure/functions'))],
  });
  const shim = join(shimDir, 'singleExtensionsBase.js');
  writeFileSync(
    shim,
    [
      "const Module = require('node:module');",
      'const resolve = Module._resolveFilename;',
      'Module._resolveFilename = function (request, ...rest) {',
      `  return request === '@azure/functions-extensions-base' ? ${JSON.stringify(single)} : resolve.call(this, request, ...rest);`,
      '};',
    ].join('\n'),
  );
  return { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${shim}`.trim() };
}

describe('dispatcher end to end (sdk settlement)', () => {
  let stack: RunningStack;
  let client: ServiceBusClient;
  const ok = cloudEvent('e2e.ok');
  const failing = cloudEvent('e2e.fail');
  const unroutable = cloudEvent('e2e.nothing-matches');
  const invalidJson = `{"specversion":"1.0","id":"sdk-poison-${Date.now()}",`;

  beforeAll(async () => {
    stack = await launchDevStack({ settings: { DISPATCH_SETTLEMENT_MODE: 'sdk' } }, stackEnvironment());
    client = new ServiceBusClient(stack.connectionString);
    for (const event of [ok, failing, unroutable]) await sendRaw(client, JSON.stringify(event), event.id);
    await sendRaw(client, invalidJson);
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await stack?.stop();
    rmSync(shimDir, { recursive: true, force: true });
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
