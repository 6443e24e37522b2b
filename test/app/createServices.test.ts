import { settledMessageId } from '../../shared/naming/dispatchNames';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import {
  startServiceBusEmulator,
  type RunningServiceBusEmulator,
} from '../../devhost/servicebus/startServiceBusEmulator';
import { EmulatorCredential } from '../../adapters/azure/emulatorCredential';
import { loadSettings } from '../../shared/config/loadSettings';
import { TEST_SIGNING_KEY } from '../support/testSigner';
import { DispatchSigner } from '../../shared/signing/dispatchSigner';
import { ConfigError } from '../../shared/errors/dispatchErrors';
import type { JobProvider } from '../../adapters/aci/jobProvider';
import { ServiceBusEventQueue } from '../../adapters/serviceBus/serviceBusEventQueue';
import { ServiceBusResultPublisher } from '../../adapters/serviceBus/serviceBusResultPublisher';
import { AciJobProvider } from '../../adapters/aci/aciJobProvider';
import { SecretEnvResolver } from '../../adapters/keyVault/secretEnvResolver';
import { createServices } from '../../app/createServices';
import type { FunctionRegistry } from '../../devhost/registrations/captureRegistrations';

type CaptureModule = typeof import('../../devhost/registrations/captureRegistrations');
import { DISPATCH_JOB_ORCHESTRATOR } from '../../orchestrations/dispatchJob/dispatchJobInput';
import { DispatchJobActivity } from '../../orchestrations/dispatchJob/contracts';

/** The composition root, loaded as the Functions host loads package.json `main`. */
const entry = join(__dirname, '..', '..', 'app', 'index.ts');

/**
 * Loads the entry afresh, capture included (jest keeps its own module registry, so the host's require-cache reset
 * is not enough, and the capture must patch the same @azure/functions instance the entry gets).
 */
function loadEntry(): FunctionRegistry {
  let registry: FunctionRegistry | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module registry needs require()
    const capture = require('../../devhost/registrations/captureRegistrations') as CaptureModule;
    registry = capture.loadApp([entry], capture.createRegistry());
  });
  return registry!;
}

const queueProperties = {
  DefaultMessageTimeToLive: 'PT1H',
  LockDuration: 'PT1M',
  MaxDeliveryCount: 10,
  RequiresDuplicateDetection: true,
  RequiresSession: false,
};
const config = {
  UserConfig: {
    Namespaces: [
      {
        Name: 'sbemulatorns',
        Queues: [{ Name: 'dispatch', Properties: queueProperties }],
        Topics: [
          {
            Name: 'results',
            Properties: { DefaultMessageTimeToLive: 'PT1H' },
            Subscriptions: [
              {
                Name: 'all',
                Properties: { DefaultMessageTimeToLive: 'PT1H', LockDuration: 'PT1M', MaxDeliveryCount: 10 },
              },
            ],
          },
        ],
      },
    ],
    Logging: { Type: 'File' as const },
  },
};

let emulator: RunningServiceBusEmulator;
let env: Record<string, string>;
const quiet = { info: () => undefined, warn: () => undefined };

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ port: 0, config });
  env = {
    DURABLE_TASK_HUB: 'dispatcher',
    ServiceBusConnection: emulator.connectionString,
    DISPATCH_QUEUE_NAME: 'dispatch',
    ARM_ENDPOINT: 'https://127.0.0.1:8443',
    ARM_CREDENTIAL: 'emulator',
    KEY_VAULT_URI: 'https://example.vault.azure.net',
    FROM_SETTINGS: 'app-setting-value',
    DISPATCH_SIGNING_KEY: TEST_SIGNING_KEY,
  };
});

afterAll(async () => {
  await emulator?.close();
});

describe('createServices', () => {
  test('builds the production adapters from settings, sharing one Service Bus connection', async () => {
    const services = createServices(loadSettings({ ...env, DISPATCH_RESULTS_TOPIC: 'results' }), {
      logger: quiet,
    });
    try {
      expect(services.credential).toBeInstanceOf(EmulatorCredential);
      expect(services.jobProvider).toBeInstanceOf(AciJobProvider);
      expect(services.secretResolver).toBeInstanceOf(SecretEnvResolver);
      expect(services.eventQueue).toBeInstanceOf(ServiceBusEventQueue);
      expect(services.resultPublisher).toBeInstanceOf(ServiceBusResultPublisher);

      // appSetting references read the settings' app settings, not process.env.
      await expect(
        services.secretResolver.resolve('r', { V: { appSetting: 'FROM_SETTINGS' } }),
      ).resolves.toEqual({ V: 'app-setting-value' });

      await services.eventQueue.requeue({
        body: '{"id":"e1"}',
        identity: { source: '/s', id: 'e1' },
        route: 'r',
        attempt: 2,
        lastError: 'x',
        scheduledEnqueueTime: new Date(),
      });
      await services.resultPublisher!.publish({
        eventId: 'e1',
        eventSource: '/s',
        route: 'r',
        attempt: 1,
        outcome: 'Requeued',
        reason: 'exit code 1',
      });
    } finally {
      await services.close();
    }

    const client = new ServiceBusClient(emulator.connectionString);
    try {
      const queued = await client
        .createReceiver('dispatch', { receiveMode: 'receiveAndDelete' })
        .receiveMessages(5, { maxWaitTimeInMs: 1000 });
      expect(queued.map((m) => m.messageId)).toEqual([
        new DispatchSigner({ current: Buffer.from(TEST_SIGNING_KEY, 'base64') }).messageId(
          'requeue',
          { source: '/s', id: 'e1' },
          ['r', 2, 0],
        ),
      ]);
      const published = await client
        .createReceiver('results', 'all', { receiveMode: 'receiveAndDelete' })
        .receiveMessages(5, { maxWaitTimeInMs: 1000 });
      expect(published.map((m) => m.messageId)).toEqual([
        settledMessageId({ source: '/s', id: 'e1' }, 'r', 1),
      ]);
    } finally {
      await client.close();
    }
  });

  test('no results topic, no publisher; overrides are used as given', async () => {
    const jobProvider: JobProvider = {
      create: () => Promise.reject(new Error('not used')),
      status: () => Promise.reject(new Error('not used')),
      logs: () => Promise.resolve(''),
      stop: () => Promise.resolve(),
      delete: () => Promise.resolve(),
    };
    const services = createServices(loadSettings(env), { jobProvider, logger: quiet });
    expect(services.resultPublisher).toBeUndefined();
    expect(services.jobProvider).toBe(jobProvider);
    await services.close();
  });
});

describe('the app entry', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  test('registers every function once, with services built once and closed by the app-terminate hook', async () => {
    Object.assign(process.env, env, {
      DISPATCH_ROUTES_FILE: join(__dirname, '..', 'fixtures', 'routes', 'trigger-routes.json'),
      DISPATCH_DEFAULT_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
      DISPATCH_DEFAULT_RESOURCE_GROUP: 'rg-jobs',
      DISPATCH_DEFAULT_LOCATION: 'westeurope',
    });
    const registry = loadEntry();
    const names = registry.list().map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'dispatchEvent',
        DISPATCH_JOB_ORCHESTRATOR,
        ...Object.values(DispatchJobActivity),
        'eventStatus',
        'listJobs',
        'health',
      ]),
    );
    expect(names).toHaveLength(new Set(names).size);
    expect(registry.terminateHooks).toHaveLength(1);
    await registry.runTerminateHooks();
  });

  test('a bad environment fails with the settings loader’s message', () => {
    for (const key of Object.keys(env)) delete process.env[key];
    delete process.env['DURABLE_TASK_HUB'];
    let error: unknown;
    try {
      loadEntry();
    } catch (err) {
      error = err;
    }
    // The entry's own module instances: compared by name, not by class.
    expect(((error as Error).cause as Error).name).toBe(ConfigError.name);
    expect((error as Error).message).toContain('DURABLE_TASK_HUB');
  });
});
