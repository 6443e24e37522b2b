import { spawn, type ChildProcess } from 'node:child_process';
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

const repoRoot = path.join(__dirname, '..', '..', '..');
const RG = 'rg-kill';
const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'any-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};
let tmp: string;
let stateDir: string;
const children: ChildProcess[] = [];
const emulators: RunningAciEmulator[] = [];

/** Prints its pid, waits for its gate file, prints "done" and exits 0 (gives up by itself after a minute). */
function gated(gate: string): ContainerGroup {
  return {
    location: 'westeurope',
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'main',
        image: 'local/gated:1',
        command: [
          process.execPath,
          '-e',
          `const fs = require('fs'); console.log('started ' + process.pid); setTimeout(() => process.exit(99), 60000);
setInterval(() => { if (fs.existsSync(${JSON.stringify(gate)})) { console.log('done'); process.exit(0); } }, 50);`,
        ],
        resources: { requests: { cpu: 0.5, memoryInGB: 0.5 } },
      },
    ],
  };
}

/** `dispatcher emulate aci --state` in a child process, so that it can be SIGKILLed. */
async function startChild(): Promise<{ child: ChildProcess; client: ContainerInstanceManagementClient }> {
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin', 'dispatcher.js'),
      'emulate',
      'aci',
      '--port',
      '0',
      '--state',
      stateDir,
      '--cert-dir',
      path.join(tmp, 'certs'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ARM endpoint line; got: ${out}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
  const [, endpoint = '', caPath = ''] = /ARM endpoint: (\S+) {2}CA certificate: (\S+) /.exec(line) ?? [];
  trustEmulatorCertificate(fs.readFileSync(caPath, 'utf8'));
  const client = new ContainerInstanceManagementClient(credential, 'sub-kill', {
    endpoint,
    retryOptions: { maxRetries: 0 },
  });
  return { child, client };
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** The emulator again on the same state dir (in this process); close it before the next one starts. */
async function restart(): Promise<{
  emulator: RunningAciEmulator;
  restarted: ContainerInstanceManagementClient;
}> {
  const emulator = await startAciEmulator({ stateDir, killGraceMs: 200, certDir: path.join(tmp, 'certs') });
  emulators.push(emulator);
  const restarted = new ContainerInstanceManagementClient(credential, 'sub-kill', {
    endpoint: emulator.endpoint,
  });
  return { emulator, restarted };
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
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aci-kill-'));
  stateDir = path.join(tmp, 'state');
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(emulators.map((e) => e.close({ stopContainers: true })));
  killPersistedContainers(stateDir);
  fs.rmSync(tmp, { recursive: true, force: true });
});

// The emulator runs as the built CLI (bin/dispatcher.js -> dist/), which `npm test` builds first.
const built = fs.existsSync(path.join(repoRoot, 'dist', 'devhost', 'cli', 'emulateCommands.js'));
(built ? describe : describe.skip)('ACI emulator killed with SIGKILL right after answering', () => {
  test('a create: the group is there after a restart, and its container is the same run', async () => {
    const gate = path.join(tmp, 'gate');
    const { child, client } = await startChild();
    // Returns as soon as the 201 is in; the kill follows at once.
    await client.containerGroups.beginCreateOrUpdate(RG, 'survivor', gated(gate));
    await kill9(child);

    const { emulator, restarted } = await restart();
    const found = await restarted.containerGroups.get(RG, 'survivor');
    expect(found.name).toBe('survivor');
    const logs = async (): Promise<string> =>
      (await restarted.containers.listLogs(RG, 'survivor', 'main')).content ?? '';
    const started = await waitFor(
      'the container to print its pid',
      async () => /started (\d+)/.exec(await logs()) ?? undefined,
    );
    expect((await restarted.containerGroups.get(RG, 'survivor')).instanceView?.state).toBe('Running');
    fs.writeFileSync(gate, '');
    const done = await waitFor('survivor to succeed', async () => {
      const g = await restarted.containerGroups.get(RG, 'survivor');
      return g.instanceView?.state === 'Succeeded' ? g : undefined;
    });
    expect(done.containers[0]?.instanceView?.restartCount).toBe(0);
    expect(done.containers[0]?.instanceView?.currentState?.exitCode).toBe(0);
    // One run: one "started" line, from the pid seen before the gate opened.
    expect(await logs()).toBe(`started ${started[1]}\ndone\n`);
    await emulator.close();
  });

  test('a delete: the group stays deleted after a restart', async () => {
    const { child, client } = await startChild();
    await client.containerGroups.beginCreateOrUpdate(RG, 'deleted', gated(path.join(tmp, 'never')));
    // Long enough for any debounced save to have written the group: only a save before the delete's answer
    // keeps it from coming back.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await client.containerGroups.beginDelete(RG, 'deleted');
    await kill9(child);
    const { emulator, restarted } = await restart();
    const err = await restarted.containerGroups.get(RG, 'deleted').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRestError(err) && err.statusCode).toBe(404);
    await emulator.close();
  });
});
