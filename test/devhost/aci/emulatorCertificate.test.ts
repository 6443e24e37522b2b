import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as EmulatorProcessModule from '../../../devhost/dev/startEmulatorProcess';
import { loadOrCreateEmulatorCertificate } from '../../../devhost/aci/emulatorCertificate';

// Emulators in processes of their own, as concurrent stacks run them (a child `node` needs the BUILT entry).
const built = join(__dirname, '..', '..', '..', 'dist', 'devhost', 'dev', 'startEmulatorProcess.js');

function load(): typeof EmulatorProcessModule {
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(built) as typeof EmulatorProcessModule;
}

/** GET of a group that does not exist, trusting only `caCertPem`: 404 proves the TLS handshake verified. */
function getMissingGroup(endpoint: string, caCertPem: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(
      `${endpoint}/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/missing?api-version=2023-05-01`,
      // agent: false: https.globalAgent's options win over a request's, and a test file that ran earlier in
      // this jest worker may have set its `ca` (trustEmulatorCertificate): only this emulator's CA must count.
      { ca: caCertPem, agent: false, headers: { authorization: 'Bearer emulator' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('emulator certificate cache', () => {
  let certDir: string;
  beforeEach(() => (certDir = mkdtempSync(join(tmpdir(), 'dispatcher-cert-cache-'))));
  afterEach(() => rmSync(certDir, { recursive: true, force: true }));

  test('ACI emulators starting at once in separate processes each serve a certificate their CA verifies', async () => {
    const { startAciEmulatorProcess } = load();
    // Two rounds: first all of them create the cache at once, then all read it at once.
    for (let round = 0; round < 2; round++) {
      const emulators = await Promise.all(
        Array.from({ length: 4 }, () => startAciEmulatorProcess({ port: 0, images: {}, certDir })),
      );
      try {
        const statuses = await Promise.all(emulators.map((e) => getMissingGroup(e.endpoint, e.caCertPem)));
        expect(statuses).toEqual([404, 404, 404, 404]);
        for (const e of emulators) expect(readFileSync(e.caCertPath, 'utf8')).toBe(e.caCertPem);
      } finally {
        await Promise.all(emulators.map((e) => e.close()));
      }
    }
    // The second round reused a published generation instead of making new ones.
    const generations = readdirSync(certDir).filter((name) => name.startsWith('gen-'));
    expect(generations.length).toBeGreaterThanOrEqual(1);
    expect(generations.length).toBeLessThanOrEqual(4);
  }, 60_000);

  test('a client that trusts the CAs of two caches verifies the servers of both, whatever the order', async () => {
    const a = await loadOrCreateEmulatorCertificate(certDir);
    const b = await loadOrCreateEmulatorCertificate(mkdtempSync(join(certDir, 'other-')));
    for (const served of [a, b]) {
      const server = createServer({ key: served.serverKeyPem, cert: served.serverCertPem }, (_req, res) =>
        res.end('ok'),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        for (const ca of [
          [a.caCertPem, b.caCertPem],
          [b.caCertPem, a.caCertPem],
        ]) {
          const status = await new Promise<number>((resolve, reject) =>
            get({ host: 'localhost', port, ca, agent: false }, (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            }).on('error', reject),
          );
          expect(status).toBe(200);
        }
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  }, 30_000);

  test('a damaged cache is replaced by a new generation instead of serving a mismatched pair', async () => {
    const first = await loadOrCreateEmulatorCertificate(certDir);
    expect((await loadOrCreateEmulatorCertificate(certDir)).caCertPem).toBe(first.caCertPem);
    // Simulate the old failure: the server certificate of one run next to the CA of another.
    const other = await loadOrCreateEmulatorCertificate(mkdtempSync(join(certDir, 'other-')));
    writeFileSync(join(first.caCertPath, '..', 'aci-emulator-server.pem'), other.serverCertPem);
    const replaced = await loadOrCreateEmulatorCertificate(certDir);
    expect(replaced.caCertPem).not.toBe(first.caCertPem);
    expect(replaced.caCertPath).not.toBe(first.caCertPath);
  }, 30_000);
});
