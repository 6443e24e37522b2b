import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import type { ServiceBusClient } from '@azure/service-bus';
import { createCredential } from '../adapters/azure/createCredential';
import type { Settings } from '../shared/config/loadSettings';
import type { JobInventory } from '../adapters/aci/jobInventory';
import type { JobProvider } from '../adapters/aci/jobProvider';
import { createMetricsExport } from '../adapters/telemetry/createMetricsExport';
import type { DispatchMetrics } from '../shared/metrics/dispatchMetrics';
import {
  createServiceBusClient,
  type ServiceBusConnection,
} from '../adapters/serviceBus/createServiceBusClient';
import type { EventQueue } from '../adapters/serviceBus/eventQueue';
import type { ResultPublisher } from '../adapters/serviceBus/resultPublisher';
import { ServiceBusEventQueue } from '../adapters/serviceBus/serviceBusEventQueue';
import type { DeadLetterReader } from '../adapters/serviceBus/deadLetterReader';
import { ServiceBusDeadLetterReader } from '../adapters/serviceBus/serviceBusDeadLetterReader';
import type { DeadLetterResubmitter } from '../adapters/serviceBus/deadLetterResubmitter';
import { ServiceBusDeadLetterResubmitter } from '../adapters/serviceBus/serviceBusDeadLetterResubmitter';
import { ServiceBusResultPublisher } from '../adapters/serviceBus/serviceBusResultPublisher';
import { AciCapacityReader } from '../adapters/aci/aciCapacityReader';
import { AciJobProvider } from '../adapters/aci/aciJobProvider';
import type { CapacityReader } from '../orchestrations/admission/contracts';
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
  /** The orphan sweeper's listing; the ACI adapter unless a test supplies a provider without one. */
  jobInventory?: JobInventory;
  eventQueue: EventQueue;
  metrics: DispatchMetrics;
  secretResolver: SecretResolver;
  /** Job logs (and later large events and outputs). */
  blobStore: BlobStore;
  /** What happened to every event the trigger saw. */
  ledger: EventLedger;
  /** Present when DISPATCH_RESULTS_TOPIC is set. */
  resultPublisher?: ResultPublisher;
  /** What the dashboard shows of the dead-letter queue (peeked through the queue's own connection). */
  deadLetterReader: DeadLetterReader;
  /** The dashboard's resubmit action (the same resubmission as `dispatcher dlq resubmit`). */
  deadLetterResubmitter: DeadLetterResubmitter;
  /** The ACI Usage API (admission never admits past what others leave of the real quota). */
  capacityReader?: CapacityReader;
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
  const jobInventory =
    overrides.jobInventory ?? (jobProvider instanceof AciJobProvider ? jobProvider : undefined);
  const metricsExport = overrides.metrics
    ? { metrics: overrides.metrics, close: () => Promise.resolve() }
    : createMetricsExport({
        ...(settings.appInsightsConnectionString !== undefined
          ? { connectionString: settings.appInsightsConnectionString }
          : {}),
        credential,
      });
  const { metrics } = metricsExport;

  // Only with the real ACI provider: a job provider given by a test has no Usage API behind it.
  const capacityReader =
    overrides.capacityReader ??
    (overrides.jobProvider
      ? undefined
      : new AciCapacityReader({ credential, endpoint: settings.armEndpoint }));

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

  const deadLetterReader =
    overrides.deadLetterReader ??
    lazyDeadLetterReader(() => new ServiceBusDeadLetterReader(sharedClient(), settings.queueName));

  const deadLetterResubmitter =
    overrides.deadLetterResubmitter ??
    new ServiceBusDeadLetterResubmitter(
      sharedClient,
      settings.queueName,
      new DispatchSigner(settings.signingKeys),
    );

  return {
    settings,
    credential,
    jobProvider,
    ...(jobInventory ? { jobInventory } : {}),
    eventQueue,
    metrics,
    secretResolver,
    blobStore,
    ledger,
    ...(resultPublisher ? { resultPublisher } : {}),
    deadLetterReader,
    deadLetterResubmitter,
    ...(capacityReader ? { capacityReader } : {}),
    logger,
    async close() {
      const results = await Promise.allSettled([
        eventQueue.close(),
        resultPublisher?.close(),
        deadLetterReader.close(),
        deadLetterResubmitter.close(),
        metricsExport.close(),
      ]);
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

/** Creates the reader (and so the shared Service Bus client) on the first look, not when the app starts. */
function lazyDeadLetterReader(create: () => DeadLetterReader): DeadLetterReader {
  let reader: DeadLetterReader | undefined;
  return {
    peek: (maxCount) => (reader ??= create()).peek(maxCount),
    close: () => reader?.close() ?? Promise.resolve(),
  };
}
