import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
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
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

export function defaultCertDir(): string {
  return path.join(os.tmpdir(), 'dispatcher-aci-emulator-tls');
}

function stillValid(certPem: string): boolean {
  try {
    return new Date(new X509Certificate(certPem).validTo).getTime() - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

/**
 * A private CA and a server certificate for localhost / 127.0.0.1 / ::1 signed by it, cached in `certDir`
 * so that a CA once trusted (NODE_EXTRA_CA_CERTS) stays valid across emulator restarts.
 */
export async function loadOrCreateEmulatorCertificate(
  certDir = defaultCertDir(),
): Promise<EmulatorCertificate> {
  const caCertPath = path.join(certDir, CA_FILE);
  const keyPath = path.join(certDir, SERVER_KEY_FILE);
  const certPath = path.join(certDir, SERVER_CERT_FILE);
  if ([caCertPath, keyPath, certPath].every((file) => fs.existsSync(file))) {
    const cached = {
      caCertPem: fs.readFileSync(caCertPath, 'utf8'),
      caCertPath,
      serverKeyPem: fs.readFileSync(keyPath, 'utf8'),
      serverCertPem: fs.readFileSync(certPath, 'utf8'),
    };
    if (stillValid(cached.caCertPem) && stillValid(cached.serverCertPem)) return cached;
  }
  const notBeforeDate = new Date(Date.now() - 3600 * 1000);
  const caNotAfter = new Date(notBeforeDate.getTime() + 5 * 365 * 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'Dispatcher local ACI emulator CA' }], {
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
  // Write to temp names then rename: two emulators starting at once must not read half-written files.
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(keyPath + suffix, server.private, { mode: 0o600 });
  fs.writeFileSync(certPath + suffix, server.cert);
  fs.writeFileSync(caCertPath + suffix, ca.cert);
  fs.renameSync(keyPath + suffix, keyPath);
  fs.renameSync(certPath + suffix, certPath);
  fs.renameSync(caCertPath + suffix, caCertPath);
  return { caCertPem: ca.cert, caCertPath, serverKeyPem: server.private, serverCertPem: server.cert };
}
