import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { callbackKeyFrom, callbackToken } from '../../shared/callbacks/callbackToken';
import { instanceIdFor } from '../../shared/naming/dispatchNames';
import { sendEvent } from '../../devhost/cli/sendCommand';
import {
  cloudEvent,
  eventually,
  launchDevStack,
  peekResults,
  repoRoot,
  sendRaw,
  waitForSettled,
  type RunningStack,
} from './devStackHarness';

/**
 * Job callbacks on the offline stack: jobs run as local processes by the ACI emulator and POST to the local
 * host's callback endpoint. The routes poll every 30 s to 1 min, so only the callback can settle them in seconds.
 * The test holds the app's signing key, so it can mint the tokens an attacker would replay or move.
 */
const routesFile = join(repoRoot, 'test', 'fixtures', 'e2e', 'callbacks.routes.json');
const signingKey = randomBytes(32);
const key = callbackKeyFrom(signingKey);

let stack: RunningStack;
let client: ServiceBusClient;

beforeAll(async () => {
  stack = await launchDevStack({
    routesFile,
    settings: { DISPATCH_SIGNING_KEY: signingKey.toString('base64') },
  });
  client = new ServiceBusClient(stack.connectionString);
}, 90_000);

afterAll(async () => {
  await client?.close();
  await stack?.stop();
});

const explain = (): string => `\n--- dev stack log (tail) ---\n${stack.output().slice(-4000)}`;

interface InstanceStatus {
  runtimeStatus: string;
  customStatus: { deadline: string; latestDeadline: string; phase: string; callback?: string };
}

async function instanceStatus(instanceId: string): Promise<InstanceStatus> {
  const origin = stack.httpBase.replace(/\/api$/, '');
  const response = await fetch(`${origin}/runtime/webhooks/durabletask/instances/${instanceId}`);
  if (!response.ok) throw new Error(`status of ${instanceId}: ${response.status}`);
  return (await response.json()) as InstanceStatus;
}

function postCallback(
  instanceId: string,
  token: string,
  body: unknown = { output: 'forged' },
): Promise<Response> {
  return fetch(`${stack.httpBase}/callbacks/${instanceId}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('job callbacks (offline stack)', () => {
  it('settles a callback route polled every 30 s in seconds, with its output in the status API and the result event', async () => {
    const event = cloudEvent('e2e.callback');
    const sent = Date.now();
    await sendRaw(client, JSON.stringify(event), event.id);
    const jobs = await waitForSettled(stack.httpBase, event.id, 1, 20_000).catch((err: Error) => {
      throw new Error(err.message + explain());
    });
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      route: 'cb-now',
      phase: 'Succeeded',
      exitCode: 0,
      callback: 'received',
      output: { echo: event.id },
    });
    const result = await eventually('the result event', async () =>
      (await peekResults(client)).find((r) => r.eventId === event.id),
    );
    expect(result).toMatchObject({ outcome: 'Succeeded', output: { echo: event.id } });
  }, 60_000);

  it('refuses forged, moved and reused tokens, and answers 409 once the attempt has settled', async () => {
    const lingering = cloudEvent('e2e.callback', { data: { expect: 'x', lingerMs: 6000 } });
    const other = cloudEvent('e2e.callback', { data: { expect: 'y', lingerMs: 6000 } });
    await sendRaw(client, JSON.stringify(lingering), lingering.id);
    await sendRaw(client, JSON.stringify(other), other.id);
    const id = instanceIdFor('cb-now', { source: 'urn:e2e:test', id: lingering.id }, 1);
    const otherId = instanceIdFor('cb-now', { source: 'urn:e2e:test', id: other.id }, 1);
    // The job has called back but still runs: its token has been used.
    const status = await eventually(
      'the callback to be taken',
      async () => {
        const s = await instanceStatus(id);
        return s.customStatus?.callback === 'received' ? s : undefined;
      },
      20_000,
    );
    // Tokens are bound to the attempt's latest deadline (fixed before the create), not the job's deadline.
    const token = callbackToken(key, id, status.customStatus.latestDeadline);

    expect((await postCallback(id, token)).status).toBe(401); // replayed
    expect((await postCallback(id, `dcb1.${randomBytes(32).toString('base64url')}`)).status).toBe(401); // forged
    expect((await postCallback(otherId, token)).status).toBe(401); // another instance's token
    const otherDeadline = (await instanceStatus(otherId)).customStatus.latestDeadline;
    const otherKey = callbackKeyFrom(randomBytes(32));
    expect((await postCallback(otherId, callbackToken(otherKey, otherId, otherDeadline))).status).toBe(401); // wrong key
    const missing = await fetch(`${stack.httpBase}/callbacks/${id}`, { method: 'POST' });
    expect(missing.status).toBe(401);

    const jobs = await waitForSettled(stack.httpBase, lingering.id, 1, 30_000);
    // Nothing the refused calls sent reached the orchestration: the output is the job's own.
    expect(jobs[0]).toMatchObject({ phase: 'Succeeded', output: { echo: 'x' } });
    const settled = await postCallback(id, token);
    expect(settled.status).toBe(409);
    await waitForSettled(stack.httpBase, other.id, 1, 30_000);
  }, 90_000);

  it('refuses an output over 64 KB with 413, and nothing changes until the poll sees the job end', async () => {
    const big = cloudEvent('e2e.callback-fastpoll', { data: { expect: 'big', padBytes: 70_000 } });
    await sendRaw(client, JSON.stringify(big), big.id);
    // The job exits 7 when its callback is refused; the fallback poll then sees the failure.
    const jobs = await waitForSettled(stack.httpBase, big.id, 1, 30_000);
    expect(jobs[0]).toMatchObject({ phase: 'DeadLettered', exitCode: 7, callback: 'waiting', output: null });
  }, 60_000);

  it('still sees a job that never calls back, by the fallback poll', async () => {
    const silent = cloudEvent('e2e.callback-silent');
    await sendRaw(client, JSON.stringify(silent), silent.id);
    const jobs = await waitForSettled(stack.httpBase, silent.id, 1, 30_000);
    expect(jobs[0]).toMatchObject({
      route: 'cb-silent',
      phase: 'Succeeded',
      callback: 'waiting',
      output: null,
    });
  }, 60_000);

  it('gets a 1 MB event to its job intact: sent by dataref, handed over as a read-only URL', async () => {
    const pad = 'x'.repeat(1024 * 1024);
    const id = `e2e-large-${Date.now()}`;
    await sendEvent({
      type: 'e2e.large',
      id,
      data: { expect: id, pad, padLength: pad.length },
      connectionString: stack.connectionString,
      blobConnectionString: stack.storageConnectionString,
    });
    const jobs = await waitForSettled(stack.httpBase, id, 1, 30_000).catch((err: Error) => {
      throw new Error(err.message + explain());
    });
    // The job exits 0 only when it read the whole event from DISPATCH_EVENT_URL (and had no DISPATCH_EVENT).
    expect(jobs[0]).toMatchObject({ route: 'claim-check', phase: 'Succeeded', exitCode: 0 });
    expect(stack.output()).not.toMatch(/sig=/);
  }, 60_000);

  it('refuses to send a too-big event without a blob store', async () => {
    await expect(
      sendEvent({
        type: 'e2e.large',
        data: { pad: 'x'.repeat(300_000) },
        connectionString: stack.connectionString,
      }),
    ).rejects.toThrow(/too big for a Service Bus message: pass --blob/);
  });
});
