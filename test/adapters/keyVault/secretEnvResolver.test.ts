import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadOrCreateEmulatorCertificate } from '../../../devhost/aci/emulatorCertificate';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import { PermanentProviderError, TransientProviderError } from '../../../shared/errors/dispatchErrors';
import { parseKeyVaultSecretReference } from '../../../adapters/keyVault/parseKeyVaultSecretReference';
import { SecretEnvResolver } from '../../../adapters/keyVault/secretEnvResolver';

/**
 * A minimal Key Vault data plane for the official SecretClient: the bearer challenge (401 + WWW-Authenticate),
 * then GET /secrets/{name}[/{version}]. `flaky` answers 503, `forbidden` 403.
 */
const secrets: Record<string, Record<string, string>> = {
  'db-password': { '': 'hunter2-latest', v1: 'hunter2-old' },
  'api-key': { '': 'key-123' },
};
const seenTokens: string[] = [];
let server: https.Server;
let vaultUrl: string;
let caCertPem: string;

beforeAll(async () => {
  const certificate = await loadOrCreateEmulatorCertificate();
  caCertPem = certificate.caCertPem;
  server = https.createServer(
    { key: certificate.serverKeyPem, cert: certificate.serverCertPem },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const auth = req.headers.authorization;
      if (!auth?.startsWith('Bearer ')) {
        send(
          401,
          { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
          {
            'WWW-Authenticate':
              'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
          },
        );
        return;
      }
      seenTokens.push(auth.slice('Bearer '.length));
      const [, collection, name, version = ''] = url.pathname.split('/');
      if (collection !== 'secrets' || !name)
        return send(400, { error: { code: 'BadParameter', message: 'bad path' } });
      if (name === 'flaky') return send(503, { error: { code: 'ServiceUnavailable', message: 'try later' } });
      if (name === 'forbidden')
        return send(403, {
          error: { code: 'Forbidden', message: 'The user does not have secrets get permission.' },
        });
      const value = secrets[name]?.[version];
      if (value === undefined) {
        return send(404, {
          error: {
            code: 'SecretNotFound',
            message: `A secret with (name/id) ${name} was not found in this key vault.`,
          },
        });
      }
      send(200, {
        value,
        id: `${vaultUrl}/secrets/${name}/${version || 'latest0000'}`,
        attributes: { enabled: true },
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  vaultUrl = `https://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function resolver(
  appSettings: Record<string, string | undefined> = {},
  keyVaultUri: string | null = vaultUrl,
): SecretEnvResolver {
  return new SecretEnvResolver({
    credential: new EmulatorCredential('kv-test-token'),
    keyVaultUri: keyVaultUri ?? undefined,
    appSettings,
    // A local vault is not *.vault.azure.net, and its CA is the test's own.
    secretClientOptions: {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: caCertPem },
      retryOptions: { maxRetries: 0 },
    },
  });
}

describe('SecretEnvResolver', () => {
  test('resolves secret names, secret URIs (with and without version) and app settings', async () => {
    const values = await resolver({ FROM_PLATFORM: 'platform-resolved' }).resolve('thumbnails', {
      DB_PASSWORD: { keyVaultSecret: 'db-password' },
      DB_PASSWORD_OLD: { keyVaultSecret: `${vaultUrl}/secrets/db-password/v1` },
      API_KEY: { keyVaultSecret: `${vaultUrl}/secrets/api-key` },
      SETTING: { appSetting: 'FROM_PLATFORM' },
    });
    expect(values).toEqual({
      DB_PASSWORD: 'hunter2-latest',
      DB_PASSWORD_OLD: 'hunter2-old',
      API_KEY: 'key-123',
      SETTING: 'platform-resolved',
    });
    expect(seenTokens).toContain('kv-test-token');
  });

  test('a missing secret is permanent; the error names route and variable but never a value', async () => {
    const error = (await resolver()
      .resolve('thumbnails', { OK: { keyVaultSecret: 'db-password' }, MISSING: { keyVaultSecret: 'nope' } })
      .catch((err: unknown) => err)) as Error;
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error).toMatchObject({ code: 'SecretNotFound' });
    expect(error.message).toBe(`route thumbnails, secretEnv.MISSING: secret nope in ${vaultUrl}: not found`);
    expect(error.message).not.toContain('hunter2');
  });

  test('an unavailable vault is transient, a forbidden secret permanent', async () => {
    await expect(resolver().resolve('r', { X: { keyVaultSecret: 'flaky' } })).rejects.toBeInstanceOf(
      TransientProviderError,
    );
    await expect(resolver().resolve('r', { X: { keyVaultSecret: 'forbidden' } })).rejects.toMatchObject({
      constructor: PermanentProviderError,
      message: expect.stringContaining('route r, secretEnv.X: secret forbidden') as string,
    });
  });

  test('an unreachable vault is transient', async () => {
    const closed = new SecretEnvResolver({
      credential: new EmulatorCredential(),
      keyVaultUri: 'https://127.0.0.1:1',
      appSettings: {},
      secretClientOptions: { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } },
    });
    await expect(closed.resolve('r', { X: { keyVaultSecret: 'db-password' } })).rejects.toBeInstanceOf(
      TransientProviderError,
    );
  });

  test('app settings that are missing or still an unresolved Key Vault reference are permanent', async () => {
    const settings = {
      UNRESOLVED: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/x/)',
      EMPTY: '',
    };
    await expect(resolver(settings).resolve('r', { A: { appSetting: 'ABSENT' } })).rejects.toThrow(
      'route r, secretEnv.A: app setting ABSENT is not set',
    );
    await expect(resolver(settings).resolve('r', { A: { appSetting: 'EMPTY' } })).rejects.toThrow(
      'app setting EMPTY is not set',
    );
    const error = (await resolver(settings)
      .resolve('r', { B: { appSetting: 'UNRESOLVED' } })
      .catch((err: unknown) => err)) as PermanentProviderError;
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.code).toBe('SecretNotResolved');
    expect(error.message).not.toContain('SecretUri');
  });

  test('a secret name without KEY_VAULT_URI is a permanent, explained error', async () => {
    await expect(resolver({}, null).resolve('r', { A: { keyVaultSecret: 'db-password' } })).rejects.toThrow(
      "route r, secretEnv.A: secret name 'db-password' needs KEY_VAULT_URI (or give a full secret URI)",
    );
  });
});

describe('parseKeyVaultSecretReference', () => {
  test.each([
    ['db-password', { vaultUrl: 'https://v.vault.azure.net', name: 'db-password' }],
    ['https://other.vault.azure.net/secrets/x', { vaultUrl: 'https://other.vault.azure.net', name: 'x' }],
    [
      'https://other.vault.azure.net/secrets/x/0123abcd',
      { vaultUrl: 'https://other.vault.azure.net', name: 'x', version: '0123abcd' },
    ],
    ['https://other.vault.azure.net/secrets/x/', { vaultUrl: 'https://other.vault.azure.net', name: 'x' }],
  ])('%s', (reference, location) => {
    expect(parseKeyVaultSecretReference(reference, 'https://v.vault.azure.net/')).toEqual({
      ok: true,
      location,
    });
  });

  test.each([
    ['http://v.vault.azure.net/secrets/x', 'is not a secret URI'],
    ['https://v.vault.azure.net/keys/x', 'is not a secret URI'],
    ['https://v.vault.azure.net/secrets/x/v/extra', 'is not a secret URI'],
    ['https://v.vault.azure.net/secrets/bad_name', 'is not a secret URI'],
    ['not a name', 'is neither a secret name'],
  ])('%s is rejected', (reference, problem) => {
    const parsed = parseKeyVaultSecretReference(reference, 'https://v.vault.azure.net');
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toContain(problem);
  });
});
