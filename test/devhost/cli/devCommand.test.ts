import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { main } from '../../../devhost/cli/main';
import { trustEmulatorCertificate } from '../../../devhost/aci/trustEmulatorCertificate';
import { freePort } from '../../../devhost/dev/freePort';

const repoRoot = path.join(__dirname, '..', '..', '..');
const routesFile = path.join(repoRoot, 'test', 'fixtures', 'e2e', 'routes.json');
const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'any-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

describe('dispatcher dev --aci-quota / --aci-faults', () => {
  test('bad values are one-line errors naming the bad part, before anything starts', async () => {
    await expect(main(['node', 'dispatcher', 'dev', '--aci-quota', 'cores=eight'])).rejects.toThrow(
      /option '--aci-quota <limits>' argument 'cores=eight' is invalid\. quota "cores=eight": the value must be a whole number >= 0, got "eight"/,
    );
    await expect(main(['node', 'dispatcher', 'dev', '--aci-faults', 'create=30%'])).rejects.toThrow(
      /option '--aci-faults <rates>' argument 'create=30%' is invalid\. fault part "create=30%": the rate must be a number from 0 to 1/,
    );
  });

  test('--help lists them', async () => {
    const chunks: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    });
    try {
      await main(['node', 'dispatcher', 'dev', '--help']);
    } finally {
      spy.mockRestore();
    }
    expect(chunks.join('')).toContain('--aci-quota <limits>');
    expect(chunks.join('')).toContain('--aci-faults <rates>');
  });

  // The whole stack as a developer starts it: the built CLI (`npm test` builds first).
  const built = fs.existsSync(path.join(repoRoot, 'dist', 'devhost', 'cli', 'devCommand.js'));
  (built ? test : test.skip)(
    'they reach the ACI emulator of the stack',
    async () => {
      const aciPort = await freePort();
      const child = spawn(
        process.execPath,
        [
          path.join(repoRoot, 'bin', 'dispatcher.js'),
          'dev',
          '--port',
          '0',
          '--servicebus-port',
          '0',
          '--aci-port',
          String(aciPort),
          '--routes',
          routesFile,
          '--log-level',
          'warning',
          '--aci-quota',
          'containerGroups=3,cores=7',
          '--aci-faults',
          'get=1,kinds=503',
        ],
        { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`dispatcher dev not ready:\n${output}`)), 60_000);
          child.stdout.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            if (/^ready$/m.test(output)) {
              clearTimeout(timer);
              resolve();
            }
          });
          child.once('exit', (code) => reject(new Error(`dispatcher dev exited with ${code}:\n${output}`)));
        });
        // The emulator's CA is cached in its default certificate folder (the generation `current` names).
        const certDir = path.join(os.tmpdir(), 'dispatcher-aci-emulator-tls');
        const generation = fs.readFileSync(path.join(certDir, 'current'), 'utf8').trim();
        trustEmulatorCertificate(
          fs.readFileSync(path.join(certDir, generation, 'aci-emulator-ca.pem'), 'utf8'),
        );
        const client = new ContainerInstanceManagementClient(
          credential,
          '00000000-0000-0000-0000-000000000000',
          {
            endpoint: `https://localhost:${aciPort}`,
            retryOptions: { maxRetries: 0 },
          },
        );
        const limits: Record<string, number | undefined> = {};
        for await (const usage of client.location.listUsage('westeurope'))
          limits[usage.name?.value ?? ''] = usage.limit;
        expect(limits).toEqual({ ContainerGroups: 3, StandardCores: 7 });
        // get=1: every GET of a group fails, even of one that does not exist (404 otherwise).
        await expect(client.containerGroups.get('dispatcher-jobs', 'none')).rejects.toMatchObject({
          statusCode: 503,
        });
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    },
    90_000,
  );
});
