import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { isRestError, type RestError } from '@azure/core-rest-pipeline';
import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import { DEFAULT_ACI_QUOTA, parseAciQuota } from '../../../devhost/aci/aciQuota';
import { startAciEmulator, type RunningAciEmulator } from '../../../devhost/aci/startAciEmulator';
import { trustEmulatorCertificate } from '../../../devhost/aci/trustEmulatorCertificate';

const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000a1';
const OTHER_SUBSCRIPTION = '00000000-0000-0000-0000-0000000000a2';
const RG = 'rg-quota';
const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'any-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

const running: RunningAciEmulator[] = [];

/** An emulator with the given quota and a client that does not retry (so 429s surface). */
async function start(
  quota: string,
  subscription = SUBSCRIPTION,
  stateDir?: string,
): Promise<{ emulator: RunningAciEmulator; client: ContainerInstanceManagementClient }> {
  const emulator = await startAciEmulator({
    quota: parseAciQuota(quota),
    killGraceMs: 200,
    ...(stateDir ? { stateDir } : {}),
  });
  running.push(emulator);
  trustEmulatorCertificate(emulator.caCertPem);
  const client = new ContainerInstanceManagementClient(credential, subscription, {
    endpoint: emulator.endpoint,
    retryOptions: { maxRetries: 0 },
  });
  return { emulator, client };
}

/** A group whose one container sleeps (so it keeps its share) with `cpu` cores. */
function group(cpu = 1, location = 'westeurope'): ContainerGroup {
  return {
    location,
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'main',
        image: 'local/sleep:1',
        command: [process.execPath, '-e', 'setTimeout(() => {}, 30000)'],
        resources: { requests: { cpu, memoryInGB: 0.5 } },
      },
    ],
  };
}

async function expectRestError(promise: Promise<unknown>): Promise<RestError> {
  try {
    await promise;
  } catch (err) {
    if (isRestError(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail with a RestError');
}

function errorCode(err: RestError): string | undefined {
  return (err as RestError & { code?: string }).code;
}

async function usages(
  client: ContainerInstanceManagementClient,
  location: string,
): Promise<Record<string, { currentValue?: number; limit?: number; localizedValue?: string }>> {
  const out: Record<string, { currentValue?: number; limit?: number; localizedValue?: string }> = {};
  for await (const usage of client.location.listUsage(location))
    out[usage.name?.value ?? ''] = {
      currentValue: usage.currentValue,
      limit: usage.limit,
      localizedValue: usage.name?.localizedValue,
    };
  return out;
}

afterAll(async () => {
  await Promise.all(running.map((e) => e.close()));
});

describe('ACI emulator quotas (through @azure/arm-containerinstance)', () => {
  test('the N+1th container group in a region is ContainerGroupQuotaReached; a delete frees its place at once', async () => {
    const { client } = await start('containerGroups=2');
    await client.containerGroups.beginCreateOrUpdate(RG, 'g1', group());
    await client.containerGroups.beginCreateOrUpdate(RG, 'g2', group());
    const err = await expectRestError(client.containerGroups.beginCreateOrUpdate(RG, 'g3', group()));
    expect(err.statusCode).toBe(400);
    expect(errorCode(err)).toBe('ContainerGroupQuotaReached');
    expect(err.message).toBe(
      "Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'ContainerGroups' exceeded in region 'westeurope'. Limit: '2', Usage: '2' Requested: '1'.",
    );
    // Nothing was created.
    expect((await expectRestError(client.containerGroups.get(RG, 'g3'))).statusCode).toBe(404);
    // Another region and another subscription have quotas of their own.
    await client.containerGroups.beginCreateOrUpdate(RG, 'g-north', group(1, 'North Europe'));
    expect((await usages(client, 'northeurope'))['ContainerGroups']?.currentValue).toBe(1);

    await client.containerGroups.beginDeleteAndWait(RG, 'g1');
    const poller = await client.containerGroups.beginCreateOrUpdate(RG, 'g3', group());
    expect(poller.getOperationState().status).not.toBe('failed');
    expect((await client.containerGroups.get(RG, 'g3')).name).toBe('g3');
  });

  test('cores are the sum of CPU requests: a group past the cores quota is refused with StandardCores', async () => {
    const { client } = await start('cores=2');
    await client.containerGroups.beginCreateOrUpdate(RG, 'c1', group(1.5));
    const err = await expectRestError(client.containerGroups.beginCreateOrUpdate(RG, 'c2', group(1)));
    expect(err.statusCode).toBe(400);
    expect(errorCode(err)).toBe('ContainerGroupQuotaReached');
    expect(err.message).toBe(
      "Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardCores' exceeded in region 'westeurope'. Limit: '2', Usage: '1.5' Requested: '1'.",
    );
    // What still fits does.
    await client.containerGroups.beginCreateOrUpdate(RG, 'c3', group(0.5));
    await client.containerGroups.beginDeleteAndWait(RG, 'c1');
    await client.containerGroups.beginCreateOrUpdate(RG, 'c2', group(1));
    expect(await usages(client, 'westeurope')).toEqual({
      ContainerGroups: {
        currentValue: 2,
        limit: DEFAULT_ACI_QUOTA.containerGroups,
        localizedValue: 'Container Groups',
      },
      StandardCores: { currentValue: 2, limit: 2, localizedValue: 'Standard Cores' },
    });
  });

  test('listUsage reports current values and limits per (subscription, region), rounding cores up', async () => {
    const { emulator, client } = await start('containerGroups=5,cores=10');
    expect(await usages(client, 'westeurope')).toEqual({
      ContainerGroups: { currentValue: 0, limit: 5, localizedValue: 'Container Groups' },
      StandardCores: { currentValue: 0, limit: 10, localizedValue: 'Standard Cores' },
    });
    await client.containerGroups.beginCreateOrUpdate(RG, 'u1', group(1));
    await client.containerGroups.beginCreateOrUpdate(RG, 'u2', group(0.5));
    const west = await usages(client, 'West Europe');
    expect(west['ContainerGroups']?.currentValue).toBe(2);
    expect(west['StandardCores']?.currentValue).toBe(2);
    const other = new ContainerInstanceManagementClient(credential, OTHER_SUBSCRIPTION, {
      endpoint: emulator.endpoint,
    });
    expect((await usages(other, 'westeurope'))['ContainerGroups']?.currentValue).toBe(0);
    await client.containerGroups.beginDeleteAndWait(RG, 'u1');
    expect((await usages(client, 'westeurope'))['StandardCores']?.currentValue).toBe(1);
  });

  test('creates past the 5-minute rate are throttled (429, Retry-After) and not performed', async () => {
    const { client } = await start('createsPer5Min=3');
    for (const name of ['r1', 'r2', 'r3'])
      await client.containerGroups.beginCreateOrUpdate(RG, name, group(0.1));
    const err = await expectRestError(client.containerGroups.beginCreateOrUpdate(RG, 'r4', group(0.1)));
    expect(err.statusCode).toBe(429);
    expect(errorCode(err)).toBe('ResourceRequestsThrottled');
    const retryAfter = Number(err.response?.headers.get('retry-after'));
    // The first create leaves the 5-minute window in just under 300 s.
    expect(retryAfter).toBeGreaterThan(290);
    expect(retryAfter).toBeLessThanOrEqual(300);
    expect(err.message).toContain(`exceeded the limit of '3' for time interval '00:05:00'`);
    expect(err.message).toContain(`Please try again after '${retryAfter}' seconds.`);
    expect((await expectRestError(client.containerGroups.get(RG, 'r4'))).statusCode).toBe(404);
    // Deletes do not give creates back: the rate counts creates, not groups.
    await client.containerGroups.beginDeleteAndWait(RG, 'r1');
    expect(
      (await expectRestError(client.containerGroups.beginCreateOrUpdate(RG, 'r4', group(0.1)))).statusCode,
    ).toBe(429);
    // A re-PUT of an existing group is an update, not a create.
    await client.containerGroups.beginCreateOrUpdate(RG, 'r2', { ...group(0.1), tags: { a: 'b' } });
    expect((await client.containerGroups.get(RG, 'r2')).tags).toEqual({ a: 'b' });
  });

  test('creates past the hourly rate are throttled with a Retry-After of up to an hour', async () => {
    const { client } = await start('createsPerHour=2');
    await client.containerGroups.beginCreateOrUpdate(RG, 'h1', group(0.1));
    await client.containerGroups.beginCreateOrUpdate(RG, 'h2', group(0.1));
    const err = await expectRestError(client.containerGroups.beginCreateOrUpdate(RG, 'h3', group(0.1)));
    expect(err.statusCode).toBe(429);
    expect(err.message).toContain(`for time interval '01:00:00'`);
    expect(Number(err.response?.headers.get('retry-after'))).toBeGreaterThan(3500);
  });
});

test('the create rate survives a restart of the emulator on its state dir', async () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aci-quota-state-'));
  try {
    const first = await start('createsPer5Min=2', SUBSCRIPTION, stateDir);
    await first.client.containerGroups.beginCreateOrUpdate(RG, 's1', group(0.1));
    await first.client.containerGroups.beginCreateOrUpdate(RG, 's2', group(0.1));
    await first.emulator.close({ stopContainers: true });
    const second = await start('createsPer5Min=2', SUBSCRIPTION, stateDir);
    const err = await expectRestError(
      second.client.containerGroups.beginCreateOrUpdate(RG, 's3', group(0.1)),
    );
    expect(err.statusCode).toBe(429);
    await second.emulator.close({ stopContainers: true });
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});

describe('parseAciQuota', () => {
  test('unset limits keep ACI defaults', () => {
    expect(DEFAULT_ACI_QUOTA).toEqual({
      containerGroups: 100,
      cores: 100,
      createsPer5Min: 100,
      createsPerHour: 300,
    });
    expect(parseAciQuota('containerGroups=8,cores=8')).toEqual({
      containerGroups: 8,
      cores: 8,
      createsPer5Min: 100,
      createsPerHour: 300,
    });
    expect(parseAciQuota(' createsPer5Min=10 , createsPerHour=20 ')).toMatchObject({
      createsPer5Min: 10,
      createsPerHour: 20,
    });
  });

  test.each([
    ['', /empty quota/],
    ['groups=8', /unknown quota "groups" in "groups=8"; expected one of containerGroups, cores/],
    ['cores=8,cores=9', /quota "cores" is given twice/],
    ['cores=1.5', /quota "cores=1.5": the value must be a whole number >= 0, got "1.5"/],
    ['cores=-1', /quota "cores=-1": the value must be a whole number/],
    ['cores', /quota part "cores" is not NAME=VALUE/],
    ['cores=8,', /quota part "" is not NAME=VALUE/],
  ])('"%s" is refused, naming the bad part', (text, message) => {
    expect(() => parseAciQuota(text)).toThrow(message);
  });
});
