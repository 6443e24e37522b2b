import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import type { ServiceBusClient } from '@azure/service-bus';
import { createCredential } from '../adapters/azure/createCredential';
import type { Settings } from '../shared/config/loadSettings';
import type { JobProvider } from '../adapters/aci/jobProvider';
import {
  createServiceBusClient,
  type ServiceBusConnection,
} from '../adapters/serviceBus/createServiceBusClient';
import type { EventQueue } from '../adapters/serviceBus/eventQueue';
import type { ResultPublisher } from '../adapters/serviceBus/resultPublisher';
import { ServiceBusEventQueue } from '../adapters/serviceBus/serviceBusEventQueue';
import { ServiceBusResultPublisher } from '../adapters/serviceBus/serviceBusResultPublisher';
import { AciJobProvider } from '../adapters/aci/aciJobProvider';
import type { BlobStore } from '../adapters/blob/blobStore';
import type { EventLedger } from '../adapters/ledger/eventLedger';
import { createStorageAdapters } from '../adapters/storage/createStorageAdapters';
import type { AdapterLogger } from '../adapters/adapterLogger';
import { DispatchSigner } from '../shared/signing/dispatchSigner';
import { SecretEnvResolver, type SecretResolver } from '../adapters/keyVault/secretEnvResolver';

/**
 * Everything the functions and activities talk to (the ports), built once by the app's entry from Settings.
 * Tests build their own with `createServices(settings, overrides)` pointing at the offline stack (or swap members).
 */
export interface Services {
  settings: Settings;
  credential: TokenCredential;
  jobProvider: JobProvider;
  eventQueue: EventQueue;
  secretResolver: SecretResolver;
  /** Job logs (and later large events and outputs). */
  blobStore: BlobStore;
  /** What happened to every event the trigger saw. */
  ledger: EventLedger;
  /** Present when DISPATCH_RESULTS_TOPIC is set. */
  resultPublisher?: ResultPublisher;
  logger: AdapterLogger;
  /** Closes what these services opened (Service Bus links); overrides are closed too when they can be. */
  close(): Promise<void>;
}

/**
 * Builds the production adapters from settings. Members given in `overrides` are used as they are and
 * the corresponding production adapter is not created (so no connection is made for it).
 */
export function createServices(
  settings: Settings,
  overrides: Partial<Omit<Services, 'settings' | 'close'>> = {},
): Services {
  const logger = overrides.logger ?? console;
  const credential =
    overrides.credential ??
    createCredential({
      mode: settings.armCredential,
      managedIdentityClientId: settings.azureClientId,
      armEndpoint: settings.armEndpoint,
    });

  const jobProvider =
    overrides.jobProvider ??
    new AciJobProvider({
      credential,
      endpoint: settings.armEndpoint,
      identityResourceId: settings.jobIdentityId,
      logger,
    });

  const secretResolver =
    overrides.secretResolver ??
    new SecretEnvResolver({
      credential,
      keyVaultUri: settings.keyVaultUri,
      appSettings: settings.appSettings,
    });

  // Clients only: no connection is made until first use.
  const storage =
    overrides.blobStore && overrides.ledger
      ? { blobStore: overrides.blobStore, ledger: overrides.ledger }
      : createStorageAdapters(settings.storage, credential);
  const blobStore = overrides.blobStore ?? storage.blobStore;
  const ledger = overrides.ledger ?? storage.ledger;

  // One AMQP connection for the queue sender and the results sender, created only if one of them is needed.
  let serviceBusClient: ServiceBusClient | undefined;
  const sharedClient = (): ServiceBusClient =>
    (serviceBusClient ??= createServiceBusClient(serviceBusConnection(settings, credential)));

  const eventQueue =
    overrides.eventQueue ??
    new ServiceBusEventQueue({
      client: sharedClient(),
      queueName: settings.queueName,
      signer: new DispatchSigner(settings.signingKeys),
      logger,
    });
  const resultPublisher =
    overrides.resultPublisher ??
    (settings.resultsTopic !== undefined
      ? new ServiceBusResultPublisher({ client: sharedClient(), topicName: settings.resultsTopic, logger })
      : undefined);

  return {
    settings,
    credential,
    jobProvider,
    eventQueue,
    secretResolver,
    blobStore,
    ledger,
    ...(resultPublisher ? { resultPublisher } : {}),
    logger,
    async close() {
      const results = await Promise.allSettled([eventQueue.close(), resultPublisher?.close()]);
      if (serviceBusClient) await serviceBusClient.close();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/**
 * Identity-based connections use the app credential, or the identity named by
 * ServiceBusConnection__clientId when it differs from AZURE_CLIENT_ID.
 */
function serviceBusConnection(settings: Settings, credential: TokenCredential): ServiceBusConnection {
  const bus = settings.serviceBus;
  if (bus.kind === 'connectionString') return { connectionString: bus.connectionString };
  const busCredential =
    bus.clientId !== undefined && bus.clientId !== settings.azureClientId
      ? new DefaultAzureCredential({ managedIdentityClientId: bus.clientId })
      : credential;
  return { fullyQualifiedNamespace: bus.fullyQualifiedNamespace, credential: busCredential };
}
