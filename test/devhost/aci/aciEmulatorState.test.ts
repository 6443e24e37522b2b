import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { isRestError } from '@azure/core-rest-pipeline';
import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import {
  killPersistedContainers,
  startAciEmulator,
  type RunningAciEmulator,
} from '../../../devhost/aci/startAciEmulator';
import { trustEmulatorCertificate } from '../../../devhost/aci/trustEmulatorCertificate';

const RG = 'rg-state';
const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'any-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

let stateDir: string;
let gateDir: string;
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

/**
 * Prints its pid and its secure value reversed (so the value itself is not in the command), then waits until its gate file exists, prints "done"
 * and exits with $CODE. Gives up by itself after a minute so that a failed test leaves nothing behind for long.
 */
const GATED = `const fs = require('fs');
console.log('started ' + process.pid + ' ' + (process.env.TOKEN || '').split('').reverse().join(''));
setTimeout(() => process.exit(99), 60000);
setInterval(() => { if (fs.existsSync(process.env.GATE)) { console.log('done'); process.exit(Number(process.env.CODE)); } }, 50);`;

function job(
  script: string,
  extra: Partial<ContainerGroup> = {},
  env: Record<string, string> = {},
): ContainerGroup {
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
        environmentVariables: [
          { name: 'TOKEN', secureValue: 'persist-me-not' },
          ...Object.entries(env).map(([name, value]) => ({ name, value })),
        ],
      },
    ],
    ...extra,
  };
}

function gated(name: string, code: number, extra: Partial<ContainerGroup> = {}): ContainerGroup {
  return job(GATED, extra, { GATE: path.join(gateDir, name), CODE: String(code) });
}

function open(name: string): void {
  fs.writeFileSync(path.join(gateDir, name), '');
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function logs(client: ContainerInstanceManagementClient, name: string): Promise<string> {
  return (await client.containers.listLogs(RG, name, 'main')).content ?? '';
}

/** The pid the container printed: its own (the supervisor's process group holds it). */
async function containerPid(client: ContainerInstanceManagementClient, name: string): Promise<number> {
  const line = await waitFor(
    `${name} to print its pid`,
    async () => /^started (\d+) ton-em-tsisrep$/m.exec(await logs(client, name)) ?? undefined,
  );
  return Number(line[1]);
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

beforeAll(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aci-state-'));
  gateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aci-gates-'));
});

afterAll(async () => {
  await Promise.all(running.map((e) => e.close({ stopContainers: true })));
  // Whatever a failed test left running on the state dir.
  killPersistedContainers(stateDir);
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.rmSync(gateDir, { recursive: true, force: true });
});

test('containers outlive a restart of the emulator on a state dir and are re-attached', async () => {
  const first = await start();
  const groups = ['finished', 'resumed', 'ended-while-down', 'lost', 'stopped-later'];
  await first.client.containerGroups.beginCreateOrUpdateAndWait(
    RG,
    'finished',
    job('console.log("finished output")'),
  );
  for (const name of groups.slice(1)) {
    await first.client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      name,
      gated(name, name === 'ended-while-down' ? 3 : 0),
    );
  }
  const pids = new Map<string, number>();
  for (const name of groups.slice(1)) pids.set(name, await containerPid(first.client, name));
  await waitFor('finished to succeed', async () =>
    (await first.client.containerGroups.get(RG, 'finished')).instanceView?.state === 'Succeeded'
      ? true
      : undefined,
  );
  await first.emulator.close();

  // Still running with no emulator around.
  for (const name of groups.slice(1)) expect(alive(pids.get(name) ?? 0)).toBe(true);
  // Secure values reach the process (it printed its value reversed) but never the disk.
  for (const file of filesUnder(stateDir))
    expect(fs.readFileSync(file, 'utf8')).not.toContain('persist-me-not');

  const supervisor = (
    JSON.parse(fs.readFileSync(path.join(stateDir, 'containerGroups.json'), 'utf8')) as {
      groups: { name: string; runtime: { containers: { supervisor?: { pid: number } }[] } }[];
    }
  ).groups.find((g) => g.name === 'resumed')?.runtime.containers[0]?.supervisor?.pid;
  if (process.platform === 'linux') {
    // Nor the supervisor's command line or environment (it gets the container's environment on stdin).
    expect(fs.readFileSync(`/proc/${supervisor}/cmdline`, 'utf8')).toContain('aci-emulator-supervisor');
    expect(fs.readFileSync(`/proc/${supervisor}/cmdline`, 'utf8')).not.toContain('persist-me-not');
    expect(fs.readFileSync(`/proc/${supervisor}/environ`, 'utf8')).not.toContain('persist-me-not');
  }

  // While the emulator is down: one container ends on its own, one's supervisor is killed outright.
  open('ended-while-down');
  await waitFor('ended-while-down to exit', () =>
    Promise.resolve(alive(pids.get('ended-while-down') ?? 0) ? undefined : true),
  );
  const state = JSON.parse(fs.readFileSync(path.join(stateDir, 'containerGroups.json'), 'utf8')) as {
    groups: { name: string; runtime: { containers: { supervisor?: { pid: number } }[] } }[];
  };
  const lostSupervisor = state.groups.find((g) => g.name === 'lost')?.runtime.containers[0]?.supervisor?.pid;
  expect(lostSupervisor).toEqual(expect.any(Number));
  process.kill(-(lostSupervisor ?? 0), 'SIGKILL');
  await waitFor('lost to die', () => Promise.resolve(alive(pids.get('lost') ?? 0) ? undefined : true));

  const restartedAt = new Date().toISOString();
  const second = await start();
  const { client } = second;

  const finished = await client.containerGroups.get(RG, 'finished');
  expect(finished.instanceView?.state).toBe('Succeeded');
  expect(finished.containers[0]?.instanceView?.currentState?.exitCode).toBe(0);
  expect(await logs(client, 'finished')).toBe('finished output\n');

  // Ended while down: its real exit code, finish time and output.
  const ended = await client.containerGroups.get(RG, 'ended-while-down');
  expect(ended.instanceView?.state).toBe('Failed');
  const endedState = ended.containers[0]?.instanceView?.currentState;
  expect(endedState).toEqual(
    expect.objectContaining({ state: 'Terminated', exitCode: 3, detailStatus: 'Error' }),
  );
  expect(endedState?.finishTime && endedState.finishTime.toISOString() < restartedAt).toBe(true);
  expect(await logs(client, 'ended-while-down')).toBe(
    `started ${pids.get('ended-while-down')} ton-em-tsisrep\ndone\n`,
  );

  // Gone without an exit record: lost, 137.
  const lost = await client.containerGroups.get(RG, 'lost');
  expect(lost.instanceView?.state).toBe('Failed');
  const lostState = lost.containers[0]?.instanceView?.currentState;
  expect(lostState).toEqual(expect.objectContaining({ state: 'Terminated', exitCode: 137 }));
  expect(lostState?.detailStatus).toContain('lost');

  // Still running: the same process, which finishes under the new emulator, once.
  const resumed = await client.containerGroups.get(RG, 'resumed');
  expect(resumed.instanceView?.state).toBe('Running');
  open('resumed');
  await waitFor('resumed to succeed', async () =>
    (await client.containerGroups.get(RG, 'resumed')).instanceView?.state === 'Succeeded' ? true : undefined,
  );
  const resumedView = (await client.containerGroups.get(RG, 'resumed')).containers[0]?.instanceView;
  expect(resumedView?.restartCount).toBe(0);
  expect(resumedView?.currentState).toEqual(
    expect.objectContaining({ exitCode: 0, detailStatus: 'Completed' }),
  );
  expect(await logs(client, 'resumed')).toBe(`started ${pids.get('resumed')} ton-em-tsisrep\ndone\n`);

  // stop reaches a re-attached process (not a child of this emulator) and its whole process group.
  expect(alive(pids.get('stopped-later') ?? 0)).toBe(true);
  await client.containerGroups.stop(RG, 'stopped-later');
  expect(alive(pids.get('stopped-later') ?? 0)).toBe(false);
  const stopped = await client.containerGroups.get(RG, 'stopped-later');
  expect(stopped.instanceView?.state).toBe('Stopped');
  expect(stopped.containers[0]?.instanceView?.currentState?.detailStatus).toBe('Killed');

  // Its secure value was never persisted, so a restored group cannot run again; deleting it works.
  const err = await client.containerGroups.beginStartAndWait(RG, 'lost').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isRestError(err) && err.statusCode).toBe(409);
  for (const name of groups.slice(1)) await client.containerGroups.beginDeleteAndWait(RG, name);
  await second.emulator.close();

  const third = await start();
  const names: string[] = [];
  for await (const g of third.client.containerGroups.listByResourceGroup(RG)) names.push(g.name ?? '');
  expect(names).toEqual(['finished']);
  expect(fs.readdirSync(path.join(stateDir, 'groups'))).toHaveLength(1);
  await third.emulator.close();
});

test('delete of a re-attached group kills its process group', async () => {
  const first = await start();
  await first.client.containerGroups.beginCreateOrUpdateAndWait(
    RG,
    'deleted-later',
    gated('deleted-later', 0),
  );
  const pid = await containerPid(first.client, 'deleted-later');
  await first.emulator.close();
  const second = await start();
  expect((await second.client.containerGroups.get(RG, 'deleted-later')).instanceView?.state).toBe('Running');
  await second.client.containerGroups.beginDeleteAndWait(RG, 'deleted-later');
  await waitFor('the process to die', () => Promise.resolve(alive(pid) ? undefined : true), 5000);
  await second.emulator.close();
});

test('supervised containers (state dir) still restart OnFailure and report a missing command as 127', async () => {
  const { emulator, client } = await start();
  const marker = path.join(gateDir, 'failed-once');
  await client.containerGroups.beginCreateOrUpdateAndWait(
    RG,
    'flaky',
    job(
      `const fs = require('fs'); if (!fs.existsSync(process.env.MARK)) { fs.writeFileSync(process.env.MARK, ''); console.log('fail'); process.exit(2); } console.log('ok');`,
      { restartPolicy: 'OnFailure' },
      { MARK: marker },
    ),
  );
  const flaky = await waitFor('flaky to succeed', async () => {
    const g = await client.containerGroups.get(RG, 'flaky');
    return g.instanceView?.state === 'Succeeded' ? g : undefined;
  });
  const view = flaky.containers[0]?.instanceView;
  expect(view?.restartCount).toBe(1);
  expect(view?.previousState).toEqual(expect.objectContaining({ exitCode: 2, detailStatus: 'Error' }));
  expect(await logs(client, 'flaky')).toBe('fail\nok\n');

  await client.containerGroups.beginCreateOrUpdateAndWait(RG, 'missing', {
    ...job(''),
    containers: [
      {
        name: 'main',
        image: 'local/none:1',
        command: ['/nonexistent/binary'],
        resources: { requests: { cpu: 1, memoryInGB: 1 } },
      },
    ],
  });
  const missing = await waitFor('missing to fail', async () => {
    const g = await client.containerGroups.get(RG, 'missing');
    return g.instanceView?.state === 'Failed' ? g : undefined;
  });
  expect(missing.containers[0]?.instanceView?.currentState).toEqual(
    expect.objectContaining({ exitCode: 127, detailStatus: 'ContainerCannotRun' }),
  );
  for (const name of ['flaky', 'missing']) await client.containerGroups.beginDeleteAndWait(RG, name);
  await emulator.close();
});

test('without a state dir, close kills running containers', async () => {
  const emulator = await startAciEmulator({ killGraceMs: 500 });
  running.push(emulator);
  const client = new ContainerInstanceManagementClient(credential, 'sub-state', {
    endpoint: emulator.endpoint,
  });
  await client.containerGroups.beginCreateOrUpdateAndWait(RG, 'ephemeral', gated('ephemeral', 0));
  const pid = await containerPid(client, 'ephemeral');
  await emulator.close();
  expect(alive(pid)).toBe(false);
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
