import { ConfigError } from '../../../shared/errors/dispatchErrors';
import { loadSettings } from '../../../shared/config/loadSettings';
import { TEST_SIGNING_KEY } from '../../support/testSigner';

const KEY_ISSUE =
  'DISPATCH_SIGNING_KEY: required, expected base64 of at least 32 random bytes (in Azure a Key Vault reference; `dispatcher dev` generates one)';

const local = {
  FUNCTIONS_WORKER_RUNTIME: 'node',
  DURABLE_TASK_HUB: 'dispatcherlocal',
  ServiceBusConnection:
    'Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;',
  DISPATCH_RESULTS_TOPIC: '',
  KEY_VAULT_URI: '',
  DISPATCH_SIGNING_KEY: TEST_SIGNING_KEY,
};

function issues(env: Record<string, string | undefined>): string[] {
  try {
    loadSettings(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected ConfigError');
}

describe('loadSettings', () => {
  it('applies defaults and treats empty strings as unset', () => {
    const settings = loadSettings(local);
    expect(settings).toMatchObject({
      durableTaskHub: 'dispatcherlocal',
      serviceBus: { kind: 'connectionString' },
      queueName: 'dispatch',
      routesFile: 'routes.json',
      settlementMode: 'classic',
      maxEventBytes: 262_144,
      pollsPerExecution: 10,
      defaultTarget: {},
      armEndpoint: 'https://management.azure.com',
      armCredential: 'default',
      runningInAzure: false,
    });
    expect(settings.resultsTopic).toBeUndefined();
    expect(settings.keyVaultUri).toBeUndefined();
    expect(settings.appSettings.DURABLE_TASK_HUB).toBe('dispatcherlocal');
    expect(settings.signingKeys.current).toEqual(Buffer.from(TEST_SIGNING_KEY, 'base64'));
    expect(settings.signingKeys.previous).toBeUndefined();
  });

  it('reads the signing keys, a previous one during a rotation, and keeps them out of the app settings routes read', () => {
    const previous = Buffer.alloc(48, 1).toString('base64');
    const settings = loadSettings({ ...local, DISPATCH_SIGNING_KEY_PREVIOUS: previous });
    expect(settings.signingKeys.previous).toEqual(Buffer.from(previous, 'base64'));
    expect(settings.appSettings).not.toHaveProperty('DISPATCH_SIGNING_KEY');
    expect(settings.appSettings).not.toHaveProperty('DISPATCH_SIGNING_KEY_PREVIOUS');
    expect(issues({ ...local, DISPATCH_SIGNING_KEY: '' })).toEqual([KEY_ISSUE]);
    expect(issues({ ...local, DISPATCH_SIGNING_KEY_PREVIOUS: 'c2hvcnQ=' })).toEqual([
      'DISPATCH_SIGNING_KEY_PREVIOUS: expected at least 32 bytes of key material, got 5',
    ]);
    expect(
      issues({
        ...local,
        DISPATCH_SIGNING_KEY: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/k/)',
      }),
    ).toEqual([expect.stringMatching(/^DISPATCH_SIGNING_KEY: the Key Vault reference was not resolved/)]);
  });

  it('reads the identity-based Azure shape', () => {
    const settings = loadSettings({
      WEBSITE_INSTANCE_ID: 'abc',
      DURABLE_TASK_HUB: 'dispatcher',
      ServiceBusConnection__fullyQualifiedNamespace: 'mybus.servicebus.windows.net',
      ServiceBusConnection__credential: 'managedidentity',
      ServiceBusConnection__clientId: '11111111-2222-3333-4444-555555555555',
      AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
      DISPATCH_DEFAULT_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
      DISPATCH_DEFAULT_RESOURCE_GROUP: 'rg-jobs',
      DISPATCH_DEFAULT_LOCATION: 'westeurope',
      DISPATCH_SETTLEMENT_MODE: 'sdk',
      DISPATCH_POLLS_PER_EXECUTION: '50',
      KEY_VAULT_URI: 'https://kv.vault.azure.net',
      DISPATCH_SIGNING_KEY: TEST_SIGNING_KEY,
      DISPATCH_JOB_IDENTITY_ID:
        '/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/jobs',
      DispatchStorage__blobServiceUri: 'https://st1.blob.core.windows.net/',
      DispatchStorage__tableServiceUri: 'https://st1.table.core.windows.net',
    });
    expect(settings.serviceBus).toEqual({
      kind: 'identity',
      fullyQualifiedNamespace: 'mybus.servicebus.windows.net',
      clientId: '11111111-2222-3333-4444-555555555555',
    });
    expect(settings.settlementMode).toBe('sdk');
    expect(settings.pollsPerExecution).toBe(50);
    expect(settings.defaultTarget).toEqual({
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroup: 'rg-jobs',
      location: 'westeurope',
    });
    expect(settings.runningInAzure).toBe(true);
  });

  it('names every missing or bad setting and what was expected', () => {
    expect(
      issues({
        FUNCTIONS_WORKER_RUNTIME: 'dotnet',
        DURABLE_TASK_HUB: 'my-hub',
        DISPATCH_SETTLEMENT_MODE: 'auto',
        DISPATCH_MAX_EVENT_BYTES: '12kb',
        DISPATCH_POLLS_PER_EXECUTION: '0',
        DISPATCH_DEFAULT_SUBSCRIPTION_ID: 'abc',
        DISPATCH_DEFAULT_LOCATION: 'West Europe',
        ARM_ENDPOINT: 'http://127.0.0.1:1234',
        ARM_CREDENTIAL: 'secret',
        AZURE_CLIENT_ID: 'me',
        KEY_VAULT_URI: 'kv',
        DISPATCH_JOB_IDENTITY_ID: 'jobs',
      }),
    ).toEqual([
      'FUNCTIONS_WORKER_RUNTIME: expected "node", got "dotnet"',
      'DURABLE_TASK_HUB: expected letters and digits only, starting with a letter, 3-45 characters, got "my-hub"',
      'ServiceBusConnection: required, expected ServiceBusConnection (connection string, local emulator) or ServiceBusConnection__fullyQualifiedNamespace (identity-based, Azure)',
      'DISPATCH_SETTLEMENT_MODE: expected "classic" or "sdk", got "auto"',
      'DISPATCH_MAX_EVENT_BYTES: expected an integer from 1024 to 104857600, got "12kb"',
      'DISPATCH_POLLS_PER_EXECUTION: expected an integer from 1 to 1000, got "0"',
      'DISPATCH_DEFAULT_SUBSCRIPTION_ID: expected a subscription id (GUID), got "abc"',
      'DISPATCH_DEFAULT_LOCATION: expected an Azure region name such as "westeurope", got "West Europe"',
      expect.stringMatching(/^DISPATCH_JOB_IDENTITY_ID: expected a user-assigned identity resource id/),
      'ARM_ENDPOINT: expected an https URL, got "http://127.0.0.1:1234"',
      'ARM_CREDENTIAL: expected "default" or "emulator", got "secret"',
      'AZURE_CLIENT_ID: expected a client id (GUID), got "me"',
      'KEY_VAULT_URI: expected an https vault URI such as https://myvault.vault.azure.net, got "kv"',
      KEY_ISSUE,
    ]);
  });

  it('requires DURABLE_TASK_HUB, and the Azure-only settings when running in Azure', () => {
    expect(
      issues({
        WEBSITE_INSTANCE_ID: 'x',
        ServiceBusConnection__fullyQualifiedNamespace: 'bus.servicebus.windows.net',
      }),
    ).toEqual([
      'DURABLE_TASK_HUB: required, expected a task hub name (letters and digits, 3-45 characters)',
      'DISPATCH_DEFAULT_SUBSCRIPTION_ID: required when running in Azure',
      'DISPATCH_DEFAULT_RESOURCE_GROUP: required when running in Azure',
      'DISPATCH_DEFAULT_LOCATION: required when running in Azure',
      'AZURE_CLIENT_ID: required when running in Azure',
      KEY_ISSUE,
      expect.stringMatching(/^DispatchStorage__blobServiceUri: required when running in Azure/),
      expect.stringMatching(/^DispatchStorage__tableServiceUri: required when running in Azure/),
    ]);
  });

  it('accepts ARM_CREDENTIAL=emulator only with a loopback https ARM endpoint', () => {
    for (const endpoint of ['https://127.0.0.1:8443', 'https://localhost:9000/', 'https://[::1]:1234']) {
      expect(
        loadSettings({ ...local, ARM_CREDENTIAL: 'emulator', ARM_ENDPOINT: endpoint }).armCredential,
      ).toBe('emulator');
    }
    expect(loadSettings({ ...local, ARM_ENDPOINT: 'https://localhost:9000/' }).armEndpoint).toBe(
      'https://localhost:9000',
    );
    for (const endpoint of [undefined, 'https://management.azure.com', 'https://127.0.0.1.nip.io:8443']) {
      expect(issues({ ...local, ARM_CREDENTIAL: 'emulator', ARM_ENDPOINT: endpoint })).toEqual([
        expect.stringMatching(
          /^ARM_CREDENTIAL: "emulator" is only allowed with a loopback https ARM_ENDPOINT/,
        ),
      ]);
    }
  });

  it('never echoes a bad connection string (it may hold a key)', () => {
    const found = issues({ ...local, ServiceBusConnection: 'SharedAccessKey=SECRET123' });
    expect(found).toEqual([
      'ServiceBusConnection: expected a connection string containing "Endpoint=sb://<host>"',
    ]);
    expect(found.join()).not.toContain('SECRET123');
  });

  it('reads process.env by default', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, local, { DURABLE_TASK_HUB: 'fromprocessenv' });
      expect(loadSettings().durableTaskHub).toBe('fromprocessenv');
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});
