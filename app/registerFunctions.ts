import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { JobInventory } from '../adapters/aci/jobInventory';
import type { JobProvider } from '../adapters/aci/jobProvider';
import type { BlobStore } from '../adapters/blob/blobStore';
import type { EventLedger } from '../adapters/ledger/eventLedger';
import type { SecretResolver } from '../adapters/keyVault/secretEnvResolver';
import type { EventQueue } from '../adapters/serviceBus/eventQueue';
import type { ResultPublisher } from '../adapters/serviceBus/resultPublisher';
import type { DeadLetterReader } from '../adapters/serviceBus/deadLetterReader';
import type { DeadLetterResubmitter } from '../adapters/serviceBus/deadLetterResubmitter';
import { registerDashboardPage } from '../functions/dashboard/dashboardPage';
import { registerDeadLetters } from '../functions/dashboard/deadLetters';
import { registerJobsOverview } from '../functions/dashboard/jobsOverview';
import { registerResubmitDeadLetter } from '../functions/dashboard/resubmitDeadLetter';
import { registerCancelEvent } from '../functions/cancel/cancelEvent';
import { registerDispatchEvent } from '../functions/dispatchEvent/dispatchEvent';
import { registerHealth } from '../functions/health';
import { registerJobCallback } from '../functions/jobCallback/jobCallback';
import { resolveCallbackKey } from '../shared/callbacks/resolveCallbackKey';
import { registerEventStatus } from '../functions/status/eventStatus';
import { registerListJobs } from '../functions/status/listJobs';
import { registerListTargets } from '../functions/status/listTargets';
import { createAdmissionActivities } from '../orchestrations/admission/activities';
import type { CapacityReader } from '../orchestrations/admission/contracts';
import { registerAdmission } from '../orchestrations/admission/registration';
import { limitsForTarget } from '../shared/config/admissionSettings';
import { registerRouteStats } from '../functions/stats/routeStatsFunction';
import { registerSweepOrphans } from '../functions/sweepOrphans/sweepOrphansFunction';
import { createDispatchJobActivities } from '../orchestrations/dispatchJob/createDispatchJobActivities';
import { registerDispatchJob } from '../orchestrations/dispatchJob/registerDispatchJob';
import type { Settings } from '../shared/config/loadSettings';
import { noMetrics, type DispatchMetrics } from '../shared/metrics/dispatchMetrics';
import type { ResolvedRoute } from '../shared/routes/resolvedRoute';

/** The ports the functions and activities use: production adapters from createServices, or test doubles. */
export interface AppPorts {
  jobProvider: JobProvider;
  eventQueue: EventQueue;
  secretResolver?: SecretResolver;
  resultPublisher?: ResultPublisher;
  /** Without it the dashboard's dead-letter panel says the queue cannot be read (GET /api/deadletters is absent). */
  deadLetterReader?: DeadLetterReader;
  /** Without it POST /api/deadletters/{sequenceNumber}/resubmit is absent (the page says so). */
  deadLetterResubmitter?: DeadLetterResubmitter;
  /**
   * Where whole job logs are archived (container: settings.storage.jobLogsContainer). Always there in the app
   * (createServices); tests that look at neither logs nor the ledger may leave these two out.
   */
  blobStore?: BlobStore;
  /** What happened to every event the trigger saw. */
  ledger?: EventLedger;
  /** The ACI Usage API, for admission (absent: the configured limits only). */
  capacityReader?: CapacityReader;
  /** Default: record nothing. */
  metrics?: DispatchMetrics;
  /** Lists container groups for the orphan sweeper; without it the sweeper is not registered. */
  jobInventory?: JobInventory;
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
  const metrics = ports.metrics ?? noMetrics;
  registerDispatchEvent({
    settings,
    routes,
    eventQueue: ports.eventQueue,
    ...(ports.ledger ? { ledger: ports.ledger } : {}),
    metrics,
  });
  const callbacks = {
    key: resolveCallbackKey(settings, routes),
    ...(settings.callbacks.baseUrl !== undefined ? { baseUrl: settings.callbacks.baseUrl } : {}),
  };
  registerDispatchJob((context: InvocationContext) =>
    // Cheap: each invocation gets activities that log to its own context.
    createDispatchJobActivities({
      jobProvider: ports.jobProvider,
      eventQueue: ports.eventQueue,
      ...(ports.secretResolver ? { secretResolver: ports.secretResolver } : {}),
      ...(ports.resultPublisher ? { resultPublisher: ports.resultPublisher } : {}),
      callbacks,
      ...(ports.blobStore
        ? { claimCheck: { blobStore: ports.blobStore, container: settings.storage.eventsContainer } }
        : {}),
      ...(ports.blobStore
        ? { jobLogs: { blobStore: ports.blobStore, container: settings.storage.jobLogsContainer } }
        : {}),
      ...(ports.ledger ? { ledger: ports.ledger } : {}),
      metrics,
      log: (message) => context.log(message),
      warn: (message) => context.warn(message),
    }),
  );
  registerAdmission((context: InvocationContext) =>
    createAdmissionActivities({
      client: df.getClient(context),
      limitsFor: (target) => limitsForTarget(settings.admission, target),
      ...(ports.capacityReader ? { capacityReader: ports.capacityReader } : {}),
      coordinator: { reconcileIntervalMs: settings.admission.reconcileIntervalMs },
      log: (message) => context.log(message),
    }),
  );
  if (ports.jobInventory) {
    registerSweepOrphans({
      schedule: settings.sweep.schedule,
      graceMs: settings.sweep.graceMs,
      routes,
      inventory: ports.jobInventory,
      jobProvider: ports.jobProvider,
      metrics,
    });
  }
  const routeNames = routes.map((route) => route.name);
  registerRouteStats(routeNames, ports.ledger);
  const routeRefs = routes.map((route) => ({ name: route.name, maxAttempts: route.policy.maxAttempts }));
  registerEventStatus(routeRefs, ports.ledger);
  registerCancelEvent(routeRefs, ports.ledger);
  registerListJobs();
  registerJobCallback(callbacks.key);
  registerListTargets(routes, settings.admission);
  registerHealth();
  registerDashboardPage();
  registerJobsOverview(routeNames, ports.ledger);
  if (ports.deadLetterReader) registerDeadLetters(ports.deadLetterReader);
  if (ports.deadLetterResubmitter) registerResubmitDeadLetter(ports.deadLetterResubmitter);
}
