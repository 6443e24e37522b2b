import type { TokenCredential } from '@azure/core-auth';
import { isRestError } from '@azure/core-rest-pipeline';
import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import { parseFaultRates } from '../../../devhost/aci/faultRates';
import { startAciEmulator, type RunningAciEmulator } from '../../../devhost/aci/startAciEmulator';
import { trustEmulatorCertificate } from '../../../devhost/aci/trustEmulatorCertificate';

const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000f1';
const RG = 'rg-faults';
const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'any-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};
const running: RunningAciEmulator[] = [];

async function start(faults: string): Promise<{
  emulator: RunningAciEmulator;
  client: ContainerInstanceManagementClient;
  retrying: ContainerInstanceManagementClient;
}> {
  const emulator = await startAciEmulator({ faults: parseFaultRates(faults), killGraceMs: 200 });
  running.push(emulator);
  trustEmulatorCertificate(emulator.caCertPem);
  // No SDK retries and no keep-alive reuse issues: each fault surfaces as exactly one failed call.
  const client = new ContainerInstanceManagementClient(credential, SUBSCRIPTION, {
    endpoint: emulator.endpoint,
    retryOptions: { maxRetries: 0 },
  });
  // For set-up calls that must get through (the SDK retries 500/503/429 and resets).
  const retrying = new ContainerInstanceManagementClient(credential, SUBSCRIPTION, {
    endpoint: emulator.endpoint,
    retryOptions: { maxRetries: 10, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
  });
  return { emulator, client, retrying };
}

/** A job that prints one line per run, so a second run of the same group would show. */
function job(): ContainerGroup {
  return {
    location: 'westeurope',
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'main',
        image: 'local/once:1',
        command: [process.execPath, '-e', 'console.log("run " + process.pid)'],
        resources: { requests: { cpu: 0.1, memoryInGB: 0.1 } },
      },
    ],
  };
}

/** How a call ended: 'ok', the HTTP status of an error, or 'reset' for a connection without an answer. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    if (isRestError(err)) return err.statusCode === undefined ? 'reset' : String(err.statusCode);
    throw err;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

afterAll(async () => {
  await Promise.all(running.map((e) => e.close()));
});

describe('ACI emulator faults at a rate (--faults)', () => {
  test('get=0.3 fails about 30 % of GETs, and the same seed fails the same calls', async () => {
    const patterns: string[] = [];
    for (let round = 0; round < 2; round++) {
      const { client, retrying } = await start('get=0.3,kinds=500|503,seed=7');
      await retrying.containerGroups.beginCreateOrUpdate(RG, 'target', job());
      let pattern = '';
      for (let i = 0; i < 300; i++) {
        const result = await outcome(client.containerGroups.get(RG, 'target'));
        expect(['ok', '500', '503']).toContain(result);
        pattern += result === 'ok' ? '.' : 'x';
      }
      patterns.push(pattern);
    }
    const failed = (patterns[0]?.match(/x/g) ?? []).length / 300;
    // 300 draws at p = 0.3: three standard deviations either side.
    expect(failed).toBeGreaterThan(0.22);
    expect(failed).toBeLessThan(0.38);
    expect(patterns[1]).toBe(patterns[0]);
    const { client, retrying } = await start('get=0.3,kinds=500,seed=8');
    await retrying.containerGroups.beginCreateOrUpdate(RG, 'target', job());
    let other = '';
    for (let i = 0; i < 300; i++)
      other += (await outcome(client.containerGroups.get(RG, 'target'))) === 'ok' ? '.' : 'x';
    expect(other).not.toBe(patterns[0]);
  });

  test('429 faults carry ARM throttling wording and Retry-After', async () => {
    const { client } = await start('delete=1,kinds=429');
    await client.containerGroups.beginCreateOrUpdate(RG, 'throttled', job());
    const err = await client.containerGroups.beginDeleteAndWait(RG, 'throttled').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRestError(err) && err.statusCode).toBe(429);
    expect(isRestError(err) && err.response?.headers.get('retry-after')).toBe('1');
    // Not deleted.
    expect((await client.containerGroups.get(RG, 'throttled')).name).toBe('throttled');
  });

  test('lost-response performs the create but the client gets a 500 or a reset; the job runs once', async () => {
    const { client } = await start('create=1,kinds=lost-response,seed=3');
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const result = await outcome(client.containerGroups.beginCreateOrUpdate(RG, `lost-${i}`, job()));
      expect(['500', 'reset']).toContain(result);
      seen.add(result);
    }
    // Both ways of losing an answer happen with this seed.
    expect([...seen].sort()).toEqual(['500', 'reset']);
    for (let i = 0; i < 8; i++) {
      const done = await waitFor(`lost-${i} to succeed`, async () => {
        const g = await client.containerGroups.get(RG, `lost-${i}`);
        return g.instanceView?.state === 'Succeeded' ? g : undefined;
      });
      expect(done.containers[0]?.instanceView?.restartCount).toBe(0);
      const logs = (await client.containers.listLogs(RG, `lost-${i}`, 'main')).content ?? '';
      expect(logs).toMatch(/^run \d+\n$/);
    }
  });

  test('lost-response on delete deletes; reset on create creates nothing', async () => {
    const deleting = await start('delete=1,kinds=lost-response');
    await deleting.client.containerGroups.beginCreateOrUpdate(RG, 'deleted', job());
    expect(['500', 'reset']).toContain(
      await outcome(deleting.client.containerGroups.beginDeleteAndWait(RG, 'deleted')),
    );
    expect(await outcome(deleting.client.containerGroups.get(RG, 'deleted'))).toBe('404');

    const resetting = await start('create=1,kinds=reset');
    expect(await outcome(resetting.client.containerGroups.beginCreateOrUpdate(RG, 'never', job()))).toBe(
      'reset',
    );
    expect(await outcome(resetting.client.containerGroups.get(RG, 'never'))).toBe('404');
  });
});

describe('parseFaultRates', () => {
  test('rates, kinds (default: all) and seed', () => {
    expect(parseFaultRates('create=0.3,get=0.3,delete=0.1')).toEqual({
      rates: { create: 0.3, get: 0.3, delete: 0.1 },
      kinds: ['429', '500', '503', 'reset', 'lost-response'],
      seed: 1,
    });
    expect(parseFaultRates('create=1,kinds=500|lost-response,seed=42')).toEqual({
      rates: { create: 1 },
      kinds: ['500', 'lost-response'],
      seed: 42,
    });
  });

  test.each([
    ['', /empty fault spec/],
    ['create=1.5', /fault part "create=1.5": the rate must be a number from 0 to 1, got "1.5"/],
    ['create=abc', /the rate must be a number from 0 to 1, got "abc"/],
    ['put=0.3', /unknown fault part "put" in "put=0.3"/],
    ['create=0.3,kinds=500|timeout', /unknown fault kind "timeout" in "kinds=500\|timeout"/],
    ['create=0.3,seed=x', /fault part "seed=x": the seed must be a whole number/],
    ['kinds=500', /names no operation/],
    ['create=0.1,create=0.2', /fault part "create" is given twice/],
    ['create', /fault part "create" is not NAME=VALUE/],
  ])('"%s" is refused, naming the bad part', (text, message) => {
    expect(() => parseFaultRates(text)).toThrow(message);
  });
});
