import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { VirtualClock } from '../../devhost/durable/clock';
import { createInvocationContextWithDurableClient } from '../../devhost/durable/createInvocationContextWithDurableClient';
import { DurableEngine } from '../../devhost/durable/durableEngine';
import {
  createRegistry,
  installRegistrationCapture,
  type FunctionRegistry,
} from '../../devhost/registrations/captureRegistrations';
import { loadAppRoutes } from '../../app/createApp';
import { registerFunctions } from '../../app/registerFunctions';
import type { Settings } from '../../shared/config/loadSettings';
import type { JobProvider, JobSpec } from '../../adapters/aci/jobProvider';
import type { BlobStore } from '../../adapters/blob/blobStore';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import type { EventQueue } from '../../adapters/serviceBus/eventQueue';
import type { ResultPublisher } from '../../adapters/serviceBus/resultPublisher';
import { parseRoutes } from '../../shared/routes/loadRoutes';
import { resolveRoutes, type ResolvedRoute } from '../../shared/routes/resolvedRoute';
import { RecordingEventQueue } from './recordingEventQueue';
import { ScriptedJobProvider, type JobScript } from './scriptedJobProvider';
import { triggerSettings } from './triggerEnvironment';

export const TEST_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

/** A route as the trigger would snapshot it, from routes-file JSON (defaults applied by the real loader). */
export function testRoute(route: Record<string, unknown>): ResolvedRoute {
  const parsed = parseRoutes(
    JSON.stringify({ routes: [{ match: { type: 'demo.*' }, job: { image: 'demo:1' }, ...route }] }),
  );
  if (!parsed.ok) throw new Error(`bad test route: ${parsed.errors.join('; ')}`);
  return resolveRoutes(parsed.routes, {
    subscriptionId: TEST_SUBSCRIPTION,
    resourceGroup: 'rg-jobs',
    location: 'westeurope',
  })[0]!;
}

export interface DispatchJobHarness {
  engine: DurableEngine;
  clock: VirtualClock;
  client: DurableClient;
  provider: ScriptedJobProvider;
  queue: RecordingEventQueue;
  registry: FunctionRegistry;
  log: string[];
  close(): Promise<void>;
}

/**
 * The app registered as the entry registers it (registerFunctions), with a scripted job provider and a recording
 * event queue (unless one is given) as its ports; the orchestrator runs through durable-functions' replay code in
 * the local Durable engine, on a virtual clock.
 */
export async function startDispatchJobHarness(
  options: {
    scriptFor?: (spec: JobSpec) => JobScript;
    /** A real job provider (e.g. the ACI adapter against the emulator) instead of the scripted one. */
    jobProvider?: JobProvider;
    eventQueue?: EventQueue;
    resultPublisher?: ResultPublisher;
    /** Job log archive (container: the settings' DISPATCH_JOB_LOGS_CONTAINER) and event ledger, e.g. in Azurite. */
    blobStore?: BlobStore;
    ledger?: EventLedger;
    start?: Date;
    /** The app's settings (default: triggerSettings()); the routes come from its routes file, as in the entry. */
    settings?: Settings;
  } = {},
): Promise<DispatchJobHarness> {
  const clock = new VirtualClock(options.start ?? new Date('2026-01-01T00:00:00Z'));
  const provider = new ScriptedJobProvider(() => clock.now(), options.scriptFor);
  const queue = new RecordingEventQueue();
  const log: string[] = [];
  const registry = createRegistry();
  const uninstall = installRegistrationCapture(registry);
  try {
    const settings = options.settings ?? triggerSettings();
    registerFunctions({
      settings,
      routes: loadAppRoutes(settings),
      ports: {
        jobProvider: options.jobProvider ?? provider,
        eventQueue: options.eventQueue ?? queue,
        ...(options.resultPublisher ? { resultPublisher: options.resultPublisher } : {}),
        ...(options.blobStore ? { blobStore: options.blobStore } : {}),
        ...(options.ledger ? { ledger: options.ledger } : {}),
      },
    });
  } finally {
    uninstall();
  }
  // Activities log through their InvocationContext, as in the host; the harness keeps the lines.
  const engine = new DurableEngine({
    clock,
    taskHubName: 'dispatchtest',
    logHandler: (_level, ...args) => log.push(args.map(String).join(' ')),
  });
  engine.registerFromRegistry(registry);
  await engine.start();
  const client = df.getClient(createInvocationContextWithDurableClient(engine));
  return { engine, clock, client, provider, queue, registry, log, close: () => engine.stop() };
}
