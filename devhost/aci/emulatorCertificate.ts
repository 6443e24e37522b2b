import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface EmulatorCertificate {
  caCertPem: string;
  caCertPath: string;
  serverKeyPem: string;
  serverCertPem: string;
}

const CA_FILE = 'aci-emulator-ca.pem';
const SERVER_KEY_FILE = 'aci-emulator-server-key.pem';
const SERVER_CERT_FILE = 'aci-emulator-server.pem';
/** Names the generation directory in use; replaced by rename, so a reader sees an old or a new one, whole. */
const CURRENT_FILE = 'current';
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

export function defaultCertDir(): string {
  return path.join(os.tmpdir(), 'dispatcher-aci-emulator-tls');
}

function stillValid(cert: X509Certificate): boolean {
  return new Date(cert.validTo).getTime() - Date.now() > RENEW_BEFORE_MS;
}

/** The generation `current` names, if it is complete, valid for a while yet, and its three files belong together. */
function readCurrentGeneration(certDir: string): EmulatorCertificate | undefined {
  try {
    const generation = fs.readFileSync(path.join(certDir, CURRENT_FILE), 'utf8').trim();
    if (!/^gen-[A-Za-z0-9]+$/.test(generation)) return undefined;
    const dir = path.join(certDir, generation);
    const caCertPath = path.join(dir, CA_FILE);
    const found = {
      caCertPem: fs.readFileSync(caCertPath, 'utf8'),
      caCertPath,
      serverKeyPem: fs.readFileSync(path.join(dir, SERVER_KEY_FILE), 'utf8'),
      serverCertPem: fs.readFileSync(path.join(dir, SERVER_CERT_FILE), 'utf8'),
    };
    const ca = new X509Certificate(found.caCertPem);
    const server = new X509Certificate(found.serverCertPem);
    const consistent =
      server.verify(ca.publicKey) && server.checkPrivateKey(createPrivateKey(found.serverKeyPem));
    // Generations from before CA names were unique are replaced (see the CA name below).
    const uniqueName = /CN=Dispatcher local ACI emulator CA [0-9a-f]{12}$/m.test(ca.subject);
    return consistent && uniqueName && stillValid(ca) && stillValid(server) ? found : undefined;
  } catch {
    // Missing, half-deleted by hand or unreadable: make a new generation.
    return undefined;
  }
}

/**
 * A private CA and a server certificate for localhost / 127.0.0.1 / ::1 signed by it, cached in `certDir`
 * so that a CA once trusted (NODE_EXTRA_CA_CERTS) stays valid across emulator restarts.
 *
 * Safe for emulators starting at once in several processes: each generation is written whole into a fresh
 * directory of its own (never rewritten), then published by renaming the one-line `current` pointer file.
 * Before, the three files were renamed one by one into a shared directory, so two stacks starting together
 * could each read a CA from one run and a server certificate from the other ("certificate signature failure").
 * Concurrent first starts may each publish a generation; every caller gets one consistent set.
 */
export async function loadOrCreateEmulatorCertificate(
  certDir = defaultCertDir(),
): Promise<EmulatorCertificate> {
  const cached = readCurrentGeneration(certDir);
  if (cached) return cached;
  const notBeforeDate = new Date(Date.now() - 3600 * 1000);
  const caNotAfter = new Date(notBeforeDate.getTime() + 5 * 365 * 24 * 3600 * 1000);
  // A name of its own per generation: a process that trusts two emulator CAs (two stacks, a renewed cache, or
  // test files sharing a jest worker, where the patched `tls` outlives each file) picks the issuer by name, and
  // two CAs both named "Dispatcher local ACI emulator CA" made it check one's certificate against the other's
  // key: "certificate signature failure", the flaky failure this fixes.
  const caName = `Dispatcher local ACI emulator CA ${randomBytes(6).toString('hex')}`;
  const ca = await generate([{ name: 'commonName', value: caName }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: caNotAfter,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 2 * 365 * 24 * 3600 * 1000),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  fs.mkdirSync(certDir, { recursive: true, mode: 0o700 });
  const dir = fs.mkdtempSync(path.join(certDir, 'gen-'));
  const caCertPath = path.join(dir, CA_FILE);
  fs.writeFileSync(path.join(dir, SERVER_KEY_FILE), server.private, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, SERVER_CERT_FILE), server.cert);
  fs.writeFileSync(caCertPath, ca.cert);
  const pointer = path.join(certDir, `${CURRENT_FILE}.${path.basename(dir)}.tmp`);
  fs.writeFileSync(pointer, path.basename(dir));
  fs.renameSync(pointer, path.join(certDir, CURRENT_FILE));
  return { caCertPem: ca.cert, caCertPath, serverKeyPem: server.private, serverCertPem: server.cert };
}
