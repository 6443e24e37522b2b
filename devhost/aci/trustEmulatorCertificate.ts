import https from 'node:https';
// Default import: the real module object (a namespace import would be a frozen copy that cannot be patched).
import tls from 'node:tls';

const trusted = new Set<string>();
let originalCreateSecureContext: typeof tls.createSecureContext | undefined;

function trustedBundle(): string[] {
  return [...tls.rootCertificates, ...trusted];
}

/**
 * Makes THIS process trust the ACI emulator's CA, for in-process clients (tests, `dispatcher dev`) that
 * cannot set NODE_EXTRA_CA_CERTS (Node reads it only at start-up).
 *
 * Why two places: the Azure SDK's Node HTTP client (@typespec/ts-http-runtime, used by
 * @azure/core-rest-pipeline 1.24) creates its OWN `new https.Agent({ keepAlive: true })` when no
 * `tlsOptions` are given, and uses `https.globalAgent` only with keep-alive disabled. A private agent does not
 * inherit `https.globalAgent.options.ca`; it ends in `tls.connect`, which builds its secure context through
 * `tls.createSecureContext`. So the default trust store is extended there (only for connections that name
 * no CA of their own), and `https.globalAgent.options.ca` is set for the keep-alive-disabled path.
 * Idempotent; the public roots stay trusted.
 */
export function trustEmulatorCertificate(caPem: string): void {
  if (!caPem.includes('BEGIN CERTIFICATE')) {
    throw new Error('trustEmulatorCertificate: expected a PEM certificate ("-----BEGIN CERTIFICATE-----").');
  }
  trusted.add(caPem.trim() + '\n');
  https.globalAgent.options.ca = trustedBundle();
  if (!originalCreateSecureContext) {
    const original = tls.createSecureContext;
    originalCreateSecureContext = original;
    const patched: typeof tls.createSecureContext = (options) => {
      if (options && (options.ca !== undefined || options.pfx !== undefined)) return original(options);
      return original({ ...options, ca: trustedBundle() });
    };
    tls.createSecureContext = patched;
  }
}
