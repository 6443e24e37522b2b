import type { InvocationContext } from '@azure/functions';
import type { JobProvider } from '../adapters/aci/jobProvider';
import type { BlobStore } from '../adapters/blob/blobStore';
import type { EventLedger } from '../adapters/ledger/eventLedger';
import type { SecretResolver } from '../adapters/keyVault/secretEnvResolver';
import type { EventQueue } from '../adapters/serviceBus/eventQueue';
import type { ResultPublisher } from '../adapters/serviceBus/resultPublisher';
import { registerDispatchEvent } from '../functions/dispatchEvent/dispatchEvent';
import { registerHealth } from '../functions/health';
import { registerEventStatus } from '../functions/status/eventStatus';
import { registerListJobs } from '../functions/status/listJobs';
import { createDispatchJobActivities } from '../orchestrations/dispatchJob/createDispatchJobActivities';
import { registerDispatchJob } from '../orchestrations/dispatchJob/registerDispatchJob';
import type { Settings } from '../shared/config/loadSettings';
import type { ResolvedRoute } from '../shared/routes/resolvedRoute';

/** The ports the functions and activities use: production adapters from createServices, or test doubles. */
export interface AppPorts {
  jobProvider: JobProvider;
  eventQueue: EventQueue;
  secretResolver?: SecretResolver;
  resultPublisher?: ResultPublisher;
  /**
   * Where whole job logs are archived (container: settings.storage.jobLogsContainer). Always there in the app
   * (createServices); tests that look at neither logs nor the ledger may leave these two out.
   */
  blobStore?: BlobStore;
  /** What happened to every event the trigger saw. */
  ledger?: EventLedger;
}

export interface AppDependencies {
  settings: Settings;
  routes: readonly ResolvedRoute[];
  ports: AppPorts;
}

/**
 * Registers every function of the app with its dependencies (the Functions v4 model records them with the host).
 * Called once by the entry, and by tests and the bench with their own ports.
 */
export function registerFunctions({ settings, routes, ports }: AppDependencies): void {
  registerDispatchEvent({
    settings,
    routes,
    eventQueue: ports.eventQueue,
    ...(ports.ledger ? { ledger: ports.ledger } : {}),
  });
  registerDispatchJob((context: InvocationContext) =>
    // Cheap: each invocation gets activities that log to its own context.
    createDispatchJobActivities({
      jobProvider: ports.jobProvider,
      eventQueue: ports.eventQueue,
      ...(ports.secretResolver ? { secretResolver: ports.secretResolver } : {}),
      ...(ports.resultPublisher ? { resultPublisher: ports.resultPublisher } : {}),
      ...(ports.blobStore
        ? { jobLogs: { blobStore: ports.blobStore, container: settings.storage.jobLogsContainer } }
        : {}),
      ...(ports.ledger ? { ledger: ports.ledger } : {}),
      log: (message) => context.log(message),
    }),
  );
  registerEventStatus(
    routes.map((route) => ({ name: route.name, maxAttempts: route.policy.maxAttempts })),
    ports.ledger,
  );
  registerListJobs();
  registerHealth();
}
