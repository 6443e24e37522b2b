import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ServiceBusClient } from '@azure/service-bus';
import { main } from '../../../devhost/cli/main';
import { trustEmulatorCertificate } from '../../../devhost/aci/trustEmulatorCertificate';

const repoRoot = path.join(__dirname, '..', '..', '..');
const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'any-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};
let tmp: string;
let output: string[];
let stdoutSpy: jest.SpyInstance;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emulate-cli-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  output = [];
  stdoutSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  stdoutSpy.mockRestore();
});

async function waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output.join(''));
    if (match) return match;
    if (Date.now() > deadline)
      throw new Error(`no output matching ${String(pattern)}; got: ${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `dispatcher <args>` in-process until it prints `ready`, then delivers SIGTERM to the command's own handler. */
async function runUntilSignal(
  args: string[],
  ready: RegExp,
): Promise<{ match: RegExpExecArray; stop: () => Promise<void> }> {
  const before = new Set(process.listeners('SIGTERM'));
  const running = main(['node', 'dispatcher', ...args]);
  const failed = running.then(() => undefined);
  const match = await Promise.race([
    waitForOutput(ready),
    failed.then(() => Promise.reject(new Error('command ended early'))),
  ]);
  const handlers = process.listeners('SIGTERM').filter((l) => !before.has(l));
  expect(handlers).toHaveLength(1);
  return {
    match,
    stop: async () => {
      // The command acknowledges the signal on stderr: asserted here instead of printed amid the test report.
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        (handlers[0] as (signal: NodeJS.Signals) => void)('SIGTERM');
        await running;
        expect(stderr.mock.calls.map(([chunk]) => String(chunk)).join('')).toMatch(
          /^SIGTERM: stopping the (ACI|Service Bus) emulator\n$/,
        );
      } finally {
        stderr.mockRestore();
      }
      // The command removes its handlers once stopped.
      expect(process.listeners('SIGTERM').filter((l) => !before.has(l))).toHaveLength(0);
    },
  };
}

describe('dispatcher emulate aci', () => {
  test('prints one line with the ARM endpoint and CA path, serves the SDK, stops on SIGTERM', async () => {
    const { match, stop } = await runUntilSignal(
      ['emulate', 'aci', '--port', '0', '--cert-dir', path.join(tmp, 'certs')],
      /ARM endpoint: (https:\/\/localhost:\d+) {2}CA certificate: (\S+) \(export NODE_EXTRA_CA_CERTS=(\S+)\)\n/,
    );
    try {
      const [, endpoint, caPath, exported] = match;
      expect(caPath).toBe(exported);
      // Inside the cache's current generation directory (see emulatorCertificate).
      expect(path.relative(path.join(tmp, 'certs'), caPath ?? '')).toMatch(
        /^gen-\w+[\\/]aci-emulator-ca\.pem$/,
      );
      trustEmulatorCertificate(fs.readFileSync(caPath ?? '', 'utf8'));
      const client = new ContainerInstanceManagementClient(credential, 'sub', { endpoint: endpoint ?? '' });
      const names: string[] = [];
      for await (const g of client.containerGroups.listByResourceGroup('rg')) names.push(g.name ?? '');
      expect(names).toEqual([]);
      expect(
        output
          .join('')
          .split('\n')
          .filter((l) => l.length > 0),
      ).toHaveLength(1);
    } finally {
      await stop();
    }
  });

  test('--quota and --faults reach the emulator', async () => {
    const { match, stop } = await runUntilSignal(
      [
        'emulate',
        'aci',
        '--port',
        '0',
        '--cert-dir',
        path.join(tmp, 'certs'),
        '--quota',
        'containerGroups=1,cores=3',
        '--faults',
        'logs=1,kinds=503,seed=5',
      ],
      /ARM endpoint: (https:\/\/localhost:\d+) {2}CA certificate: (\S+) /,
    );
    try {
      trustEmulatorCertificate(fs.readFileSync(match[2] ?? '', 'utf8'));
      const client = new ContainerInstanceManagementClient(credential, 'sub-cli', {
        endpoint: match[1] ?? '',
        retryOptions: { maxRetries: 0 },
      });
      const limits: Record<string, number | undefined> = {};
      for await (const usage of client.location.listUsage('westeurope'))
        limits[usage.name?.value ?? ''] = usage.limit;
      expect(limits).toEqual({ ContainerGroups: 1, StandardCores: 3 });
      const group = {
        location: 'westeurope',
        osType: 'Linux',
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image: 'local/x:1',
            command: [process.execPath, '-e', ''],
            resources: { requests: { cpu: 1, memoryInGB: 1 } },
          },
        ],
      };
      await client.containerGroups.beginCreateOrUpdate('rg', 'one', group);
      await expect(client.containerGroups.beginCreateOrUpdate('rg', 'two', group)).rejects.toMatchObject({
        statusCode: 400,
        code: 'ContainerGroupQuotaReached',
      });
      await expect(client.containers.listLogs('rg', 'one', 'main')).rejects.toMatchObject({
        statusCode: 503,
      });
    } finally {
      await stop();
    }
  });

  test('bad --quota and --faults are one-line errors naming the bad part', async () => {
    await expect(
      main(['node', 'dispatcher', 'emulate', 'aci', '--port', '0', '--quota', 'containerGroups=8,groups=1']),
    ).rejects.toThrow(
      /option '--quota <limits>' argument 'containerGroups=8,groups=1' is invalid\. unknown quota "groups" in "groups=1"/,
    );
    await expect(
      main(['node', 'dispatcher', 'emulate', 'aci', '--port', '0', '--faults', 'create=0.3,kinds=500|slow']),
    ).rejects.toThrow(
      /option '--faults <rates>' argument .* is invalid\. unknown fault kind "slow" in "kinds=500\|slow"/,
    );
  });

  test('--help describes the options', async () => {
    await main(['node', 'dispatcher', 'emulate', 'aci', '--help']);
    const help = output.join('');
    for (const option of [
      '--port',
      '--images',
      '--state',
      '--cert-dir',
      '--unavailable-location',
      '--quota',
      '--faults',
    ])
      expect(help).toContain(option);
  });

  test('a bad port is a one-line error', async () => {
    await expect(main(['node', 'dispatcher', 'emulate', 'aci', '--port', 'http'])).rejects.toThrow(
      /--port <port>' argument 'http' is invalid\. expected a port number/,
    );
  });

  test('a missing images file is a one-line error', async () => {
    await expect(
      main(['node', 'dispatcher', 'emulate', 'aci', '--port', '0', '--images', path.join(tmp, 'nope.json')]),
    ).rejects.toThrow(/file not found: .*nope\.json/);
  });

  test('an invalid images file names the file and the entry', async () => {
    const file = path.join(tmp, 'images.json');
    fs.writeFileSync(file, JSON.stringify({ 'job:1': 'node job.js' }));
    await expect(
      main([
        'node',
        'dispatcher',
        'emulate',
        'aci',
        '--port',
        '0',
        '--cert-dir',
        path.join(tmp, 'certs'),
        '--images',
        file,
      ]),
    ).rejects.toThrow(`images file ${file}: entry "job:1" must be a non-empty array`);
  });
});

describe('dispatcher emulate servicebus', () => {
  test('prints the connection string, serves the SDK, stops on SIGTERM', async () => {
    const config = path.join(tmp, 'Config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        UserConfig: {
          Namespaces: [
            {
              Name: 'sbemulatorns',
              Queues: [
                {
                  Name: 'dispatch',
                  Properties: {
                    DeadLetteringOnMessageExpiration: false,
                    DefaultMessageTimeToLive: 'PT1H',
                    DuplicateDetectionHistoryTimeWindow: 'PT10M',
                    LockDuration: 'PT1M',
                    MaxDeliveryCount: 10,
                    RequiresDuplicateDetection: false,
                    RequiresSession: false,
                  },
                },
              ],
              Topics: [],
            },
          ],
          Logging: { Type: 'File' },
        },
      }),
    );
    const { match, stop } = await runUntilSignal(
      ['emulate', 'servicebus', '--port', '0', '--config', config],
      /^(Endpoint=sb:\/\/\S+)\n/,
    );
    try {
      const sb = new ServiceBusClient(match[1] ?? '');
      try {
        await sb.createSender('dispatch').sendMessages({ body: 'hello' });
        const [message] = await sb
          .createReceiver('dispatch', { receiveMode: 'receiveAndDelete' })
          .receiveMessages(1, {
            maxWaitTimeInMs: 5000,
          });
        expect(message?.body).toBe('hello');
      } finally {
        await sb.close();
      }
    } finally {
      await stop();
    }
  });

  test('a missing config file is a one-line error', async () => {
    await expect(
      main(['node', 'dispatcher', 'emulate', 'servicebus', '--config', path.join(tmp, 'none.json')]),
    ).rejects.toThrow(/file not found: .*none\.json/);
  });
});

// The built CLI (bin/dispatcher.js -> dist/) is exercised only when `npm run build` has produced it.
const built = fs.existsSync(path.join(repoRoot, 'dist', 'devhost', 'cli', 'emulateCommands.js'));
(built ? test : test.skip)(
  'bin/dispatcher.js emulate aci runs in a child process and exits 0 on SIGTERM',
  async () => {
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'dispatcher.js'),
        'emulate',
        'aci',
        '--port',
        '0',
        '--cert-dir',
        path.join(tmp, 'certs'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<string>((resolve) =>
      child.on('exit', (code, signal) => resolve(`${code} ${signal}`)),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ARM endpoint line; stdout: ${stdout}`)), 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(stdout).toMatch(/^ARM endpoint: https:\/\/localhost:\d+ {2}CA certificate: /);
    child.kill('SIGTERM');
    expect({ exit: await exited, stderr }).toEqual({
      exit: '0 null',
      stderr: 'SIGTERM: stopping the ACI emulator\n',
    });
  },
);
