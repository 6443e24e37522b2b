import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { isRestError } from '@azure/core-rest-pipeline';
import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import { startAciEmulator, type RunningAciEmulator } from '../../../devhost/aci/startAciEmulator';
import { trustEmulatorCertificate } from '../../../devhost/aci/trustEmulatorCertificate';

const RG = 'rg-state';
const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'any-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

let stateDir: string;
const running: RunningAciEmulator[] = [];

async function start(): Promise<{ emulator: RunningAciEmulator; client: ContainerInstanceManagementClient }> {
  const emulator = await startAciEmulator({ stateDir, killGraceMs: 500 });
  running.push(emulator);
  trustEmulatorCertificate(emulator.caCertPem);
  return {
    emulator,
    client: new ContainerInstanceManagementClient(credential, 'sub-state', { endpoint: emulator.endpoint }),
  };
}

function job(script: string, extra: Partial<ContainerGroup> = {}): ContainerGroup {
  return {
    location: 'westeurope',
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'main',
        image: 'local/node-script:1',
        command: [process.execPath, '-e', script],
        resources: { requests: { cpu: 1, memoryInGB: 1 } },
        environmentVariables: [{ name: 'TOKEN', secureValue: 'persist-me-not' }],
      },
    ],
    ...extra,
  };
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

beforeAll(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aci-state-'));
});

afterAll(async () => {
  await Promise.all(running.map((e) => e.close()));
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test('a restarted emulator keeps finished groups and reports running ones as killed with the host', async () => {
  const first = await start();
  await first.client.containerGroups.beginCreateOrUpdateAndWait(
    RG,
    'finished',
    job('console.log("finished output")'),
  );
  await first.client.containerGroups.beginCreateOrUpdateAndWait(
    RG,
    'in-flight',
    job('console.log("started"); setTimeout(() => {}, 60000)'),
  );
  await waitFor('finished to succeed and in-flight to run', async () => {
    const a = await first.client.containerGroups.get(RG, 'finished');
    const b = await first.client.containerGroups.get(RG, 'in-flight');
    const logs = await first.client.containers.listLogs(RG, 'in-flight', 'main');
    return a.instanceView?.state === 'Succeeded' &&
      b.instanceView?.state === 'Running' &&
      logs.content === 'started\n'
      ? true
      : undefined;
  });
  await first.emulator.close();

  const stateText = fs.readFileSync(path.join(stateDir, 'containerGroups.json'), 'utf8');
  expect(stateText).not.toContain('persist-me-not');

  const second = await start();
  const finished = await second.client.containerGroups.get(RG, 'finished');
  expect(finished.instanceView?.state).toBe('Succeeded');
  expect(finished.containers[0]?.instanceView?.currentState?.exitCode).toBe(0);
  expect((await second.client.containers.listLogs(RG, 'finished', 'main')).content).toBe('finished output\n');

  const lost = await second.client.containerGroups.get(RG, 'in-flight');
  expect(lost.instanceView?.state).toBe('Failed');
  const state = lost.containers[0]?.instanceView?.currentState;
  expect(state?.state).toBe('Terminated');
  expect(state?.exitCode).toBe(137);
  expect(state?.detailStatus).toContain('restarted');
  expect((await second.client.containers.listLogs(RG, 'in-flight', 'main')).content).toBe('started\n');

  // Its secure value was never persisted, so it cannot run again; deleting it works.
  const err = await second.client.containerGroups.beginStartAndWait(RG, 'in-flight').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isRestError(err) && err.statusCode).toBe(409);
  await second.client.containerGroups.beginDeleteAndWait(RG, 'in-flight');
  await second.emulator.close();

  const third = await start();
  const names: string[] = [];
  for await (const g of third.client.containerGroups.listByResourceGroup(RG)) names.push(g.name ?? '');
  expect(names).toEqual(['finished']);
});

test('a corrupt state file is a clear start-up error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aci-state-bad-'));
  try {
    fs.writeFileSync(path.join(dir, 'containerGroups.json'), '{ not json');
    await expect(startAciEmulator({ stateDir: dir })).rejects.toThrow(
      /ACI emulator state file .*containerGroups\.json: cannot be read/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
