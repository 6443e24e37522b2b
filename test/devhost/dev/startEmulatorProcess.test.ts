import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import type * as EmulatorProcessModule from '../../../devhost/dev/startEmulatorProcess';

// The emulator process is forked from the BUILT entry (a child `node` cannot run the .ts sources).
const repoRoot = join(__dirname, '..', '..', '..');
const built = join(repoRoot, 'dist', 'devhost', 'dev', 'startEmulatorProcess.js');
const serviceBusConfig = join(repoRoot, 'devhost', 'config', 'servicebus.Config.json');

function load(): typeof EmulatorProcessModule {
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(built) as typeof EmulatorProcessModule;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of this process's children whose command line contains `marker` (Linux /proc). */
function childPids(marker: string, parent = process.pid): number[] {
  const out: number[] = [];
  for (const line of readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').split(' ')) {
    const pid = Number(line);
    if (!pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) out.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

describe('startEmulatorProcess', () => {
  const { startAciEmulatorProcess, startServiceBusEmulatorProcess, startEmulatorProcess } = load();

  test('the Service Bus emulator in its own process serves the real SDK and stops on close', async () => {
    const lines: string[] = [];
    const emulator = await startServiceBusEmulatorProcess({
      port: 0,
      config: serviceBusConfig,
      log: (line) => lines.push(line),
    });
    const [pid] = childPids('emulatorProcess.js');
    expect(pid).toBeDefined();
    const client = new ServiceBusClient(emulator.connectionString);
    try {
      await client.createSender('dispatch').sendMessages({ body: 'hello', messageId: 'm1' });
      const [message] = await client
        .createReceiver('dispatch', { receiveMode: 'receiveAndDelete' })
        .receiveMessages(1, { maxWaitTimeInMs: 5000 });
      expect(message?.body).toBe('hello');
    } finally {
      await client.close();
      await emulator.close();
    }
    expect(isAlive(pid as number)).toBe(false);
    // Its log lines come back over IPC.
    expect(lines.join('\n')).toContain('Service Bus emulator listening');
  }, 30_000);

  test('the ACI emulator in its own process answers ARM over HTTPS with its CA', async () => {
    const emulator = await startAciEmulatorProcess({ port: 0, images: {} });
    try {
      expect(emulator.endpoint).toMatch(/^https:\/\/localhost:\d+$/);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          `${emulator.endpoint}/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/missing?api-version=2023-05-01`,
          // agent: false: https.globalAgent's options win over a request's, and a test file that ran earlier in
          // this jest worker may have set its `ca` (trustEmulatorCertificate): only this emulator's CA must count.
          { ca: emulator.caCertPem, agent: false, headers: { authorization: 'Bearer emulator' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(404);
    } finally {
      await emulator.close();
    }
  }, 30_000);

  test('a start-up failure is reported with the emulator error, and the process is gone', async () => {
    await expect(
      startServiceBusEmulatorProcess({ port: 0, config: join(repoRoot, 'no-such-config.json') }),
    ).rejects.toThrow(/no-such-config\.json/);
    await expect(startEmulatorProcess('nonsense' as 'aci', {})).rejects.toThrow(
      /unknown emulator kind "nonsense"/,
    );
    expect(childPids('emulatorProcess.js')).toEqual([]);
  }, 30_000);

  test('the emulator process exits when its parent is killed (as an in-process emulator would die with it)', async () => {
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(built)}).startServiceBusEmulatorProcess({ port: 0, config: ${JSON.stringify(serviceBusConfig)} }).then(() => console.log('ready'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<void>((resolve) => parent.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      parent.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
    });
    const [pid] = childPids('emulatorProcess.js', parent.pid);
    expect(pid).toBeDefined();
    parent.kill('SIGKILL');
    await exited;
    const until = Date.now() + 5000;
    while (isAlive(pid as number) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(isAlive(pid as number)).toBe(false);
  }, 30_000);
});
