import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import { HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { JobTag } from '../../../adapters/aci/buildContainerGroup';
import { AciJobProvider } from '../../../adapters/aci/aciJobProvider';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import { registerFunctions } from '../../../app/registerFunctions';
import { startAciEmulator, type RunningAciEmulator } from '../../../devhost/aci/startAciEmulator';
import { RealClock } from '../../../devhost/durable/clock';
import { createInvocationContextWithDurableClient } from '../../../devhost/durable/createInvocationContextWithDurableClient';
import { DurableEngine } from '../../../devhost/durable/durableEngine';
import {
  createRegistry,
  installRegistrationCapture,
  type FunctionRegistry,
} from '../../../devhost/registrations/captureRegistrations';
import type { RouteStats } from '../../../functions/stats/routeStats';
import { ROUTE_STATS_FUNCTION } from '../../../functions/stats/routeStatsFunction';
import { SWEEP_ORPHANS_FUNCTION } from '../../../functions/sweepOrphans/sweepOrphansFunction';
import { DISPATCH_JOB_ORCHESTRATOR } from '../../../orchestrations/dispatchJob/dispatchJobInput';
import { MetricName } from '../../../shared/metrics/dispatchMetrics';
import { containerGroupNameFor } from '../../../shared/naming/containerGroupName';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import { TEST_SUBSCRIPTION, testRoute } from '../../support/dispatchJobHarness';
import { recordMetrics, type MetricsRecorder } from '../../support/metricsRecorder';
import { RecordingEventQueue } from '../../support/recordingEventQueue';
import { triggerSettings } from '../../support/triggerEnvironment';

/*
 * The sweeper against the offline stack: container groups in the ACI emulator (created by real dispatch jobs
 * through the official SDK, or directly through ARM as a crash or an operator would leave them), orchestrations
 * in the local Durable engine on the real clock, the timer function invoked as the host invokes it.
 */

const RESOURCE_GROUP = 'rg-jobs';
const target = { subscriptionId: TEST_SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, location: 'westeurope' };
const GRACE_MS = 2000;
const node = process.execPath;
const fastPoll = { poll: { initial: 'PT1S', max: 'PT1S' } };
const liveRoute = testRoute({
  name: 'sweep',
  job: { image: 'demo:1', command: [node, '-e', 'setTimeout(() => {}, 120000)'], cpu: 0.5 },
  policy: fastPoll,
});
const quickRoute = testRoute({
  name: 'quick',
  job: { image: 'demo:1', command: [node, '-e', 'console.log("done")'], cpu: 2, memoryInGB: 4 },
  tags: { costCentre: 'cc-42' },
  policy: fastPoll,
});

let aci: RunningAciEmulator;
let provider: AciJobProvider;
let arm: ContainerInstanceManagementClient;
let engine: DurableEngine;
let registry: FunctionRegistry;
let recorder: MetricsRecorder;
const logs: string[] = [];
const testStarted = Date.now();

beforeAll(async () => {
  aci = await startAciEmulator({ port: 0, killGraceMs: 200, imagePullTimeoutMs: 60_000 });
  const clientOptions = { tlsOptions: { ca: aci.caCertPem } };
  provider = new AciJobProvider({
    credential: new EmulatorCredential(),
    endpoint: aci.endpoint,
    clientOptions,
    pollIntervalMs: 100,
    provisioningWaitMs: 5000,
  });
  arm = new ContainerInstanceManagementClient(new EmulatorCredential(), TEST_SUBSCRIPTION, {
    ...clientOptions,
    endpoint: aci.endpoint,
  });
  recorder = recordMetrics();
  registry = createRegistry();
  const uninstall = installRegistrationCapture(registry);
  try {
    registerFunctions({
      settings: triggerSettings({ DISPATCH_SWEEP_GRACE: `PT${GRACE_MS / 1000}S` }),
      routes: [liveRoute, quickRoute],
      ports: {
        jobProvider: provider,
        jobInventory: provider,
        eventQueue: new RecordingEventQueue(),
        metrics: recorder.metrics,
      },
    });
  } finally {
    uninstall();
  }
  engine = new DurableEngine({ clock: new RealClock(), taskHubName: 'sweeptest' });
  engine.registerFromRegistry(registry);
  await engine.start();
}, 60_000);

afterAll(async () => {
  await engine?.stop();
  for (const group of (await provider?.listGroups(target)) ?? []) await provider.delete(group.name, target);
  await aci?.close();
  await recorder?.close();
});

function contextFor(name: string): InvocationContext {
  const registration = registry.get(name);
  if (!registration) throw new Error(`${name} is not registered`);
  return createInvocationContextWithDurableClient(engine, {
    functionName: name,
    options: { trigger: registration.trigger, extraInputs: registration.extraInputs },
    logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')),
  });
}

function startJob(route: typeof liveRoute, eventId: string): string {
  const instanceId = instanceIdFor(route.name, eventId, 1);
  const event = { id: eventId, type: 'demo.sweep', source: '/tests' };
  engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
    instanceId,
    input: {
      route,
      event,
      eventJson: JSON.stringify({ specversion: '1.0', ...event }),
      attempt: 1,
      pollsPerExecution: 20,
    },
  });
  return instanceId;
}

/** A group as a crash, a lost delete or an operator leaves it: created directly through ARM. */
async function createGroupDirectly(name: string, tags: Record<string, string>): Promise<void> {
  const group: ContainerGroup = {
    location: target.location,
    tags,
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'job',
        image: 'demo:1',
        command: [node, '-e', 'setTimeout(() => {}, 120000)'],
        resources: { requests: { cpu: 0.5, memoryInGB: 0.5 } },
      },
    ],
  };
  await arm.containerGroups.beginCreateOrUpdateAndWait(RESOURCE_GROUP, name, group, {
    updateIntervalInMs: 100,
  });
}

async function groupNames(): Promise<string[]> {
  return (await provider.listGroups(target)).map((g) => g.name).sort();
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function sweep(): Promise<void> {
  const registration = registry.get(SWEEP_ORPHANS_FUNCTION)!;
  const timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: undefined };
  await (registration.handler as (t: unknown, c: InvocationContext) => Promise<void>)(
    timer,
    contextFor(SWEEP_ORPHANS_FUNCTION),
  );
}

describe('orphan sweeper (offline stack)', () => {
  it('is registered on the schedule setting', () => {
    expect(registry.get(SWEEP_ORPHANS_FUNCTION)?.trigger).toMatchObject({
      type: 'timerTrigger',
      schedule: '0 */5 * * * *',
    });
  });

  it('deletes orphans and groups of finished orchestrations past the grace; keeps live, young and foreign groups', async () => {
    const client = df.getClient(contextFor(SWEEP_ORPHANS_FUNCTION));
    const liveId = startJob(liveRoute, 'evt-live');
    const quickId = startJob(quickRoute, 'evt-quick');
    const quick = await engine.waitForInstance(quickId, { timeoutMs: 30_000 });
    expect(quick.runtimeStatus).toBe('Completed');
    const finishedAt = Date.now();
    await waitFor('the live job to be watched', async () => {
      const status = await client.getStatus(liveId);
      return (status.customStatus as { phase?: string } | undefined)?.phase === 'Watching' ? true : undefined;
    });
    const liveGroup = containerGroupNameFor(liveId);
    const quickGroup = containerGroupNameFor(quickId);
    // The orchestration deleted its own group; a lost delete leaves it: re-create it with the job's tags.
    expect(await groupNames()).toEqual([liveGroup]);
    await createGroupDirectly(quickGroup, {
      [JobTag.instanceId]: quickId,
      [JobTag.route]: 'quick',
      [JobTag.created]: new Date().toISOString(),
    });
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    await createGroupDirectly('orphan-old', {
      [JobTag.instanceId]: instanceIdFor('sweep', 'evt-never-started', 1),
      [JobTag.route]: 'sweep',
      [JobTag.created]: hourAgo,
    });
    await createGroupDirectly('not-ours', { owner: 'someone else' });
    await new Promise((r) => setTimeout(r, Math.max(0, finishedAt + GRACE_MS + 100 - Date.now())));

    // Created just now, its orchestration not (yet) visible: within the grace period.
    await createGroupDirectly('orphan-young', {
      [JobTag.instanceId]: instanceIdFor('sweep', 'evt-being-created', 1),
      [JobTag.route]: 'sweep',
      [JobTag.created]: new Date().toISOString(),
    });

    await sweep();

    expect(await groupNames()).toEqual([liveGroup, 'not-ours', 'orphan-young'].sort());
    expect((await client.getStatus(liveId)).runtimeStatus).toBe('Running');
    expect(await recorder.total(MetricName.sweeperActions, { action: 'deletedOrphan' })).toBe(1);
    expect(
      await recorder.total(MetricName.sweeperActions, { action: 'deletedFinished', route: 'quick' }),
    ).toBe(1);
    expect(await recorder.total(MetricName.sweeperActions, { action: 'failed' })).toBe(0);
    expect(logs.join('\n')).toMatch(
      /sweep done: .*"deletedOrphan":1,"deletedFinished":1,"stoppedOverdue":0,"failed":0/,
    );

    // A second sweep finds nothing more to do.
    await sweep();
    expect(await groupNames()).toEqual([liveGroup, 'not-ours', 'orphan-young'].sort());

    // Metrics and per-route stats of the same runs.
    expect(await recorder.total(MetricName.jobsStarted, { route: 'quick' })).toBe(1);
    expect(await recorder.total(MetricName.jobsStarted, { route: 'sweep' })).toBe(1);
    expect(await recorder.total(MetricName.jobsSettled, { route: 'quick', outcome: 'Succeeded' })).toBe(1);
    const vcpu = await recorder.total(MetricName.vcpuSeconds, { route: 'quick' });
    const gb = await recorder.total(MetricName.memoryGbSeconds, { route: 'quick' });
    expect(vcpu).toBeGreaterThan(0);
    expect(gb).toBeCloseTo(vcpu * 2, 6);
    expect(await recorder.total(MetricName.detectionDelay, { route: 'quick' })).toBe(1);
    expect(await recorder.total(MetricName.jobDuration, { route: 'quick', outcome: 'Succeeded' })).toBe(1);

    const stats = async (query = ''): Promise<Record<string, RouteStats>> => {
      const response = await (
        registry.get(ROUTE_STATS_FUNCTION)!.handler as (
          r: HttpRequest,
          c: InvocationContext,
        ) => Promise<{ jsonBody: { routes: RouteStats[] } }>
      )(
        new HttpRequest({ method: 'GET', url: `http://localhost/api/stats${query}` }),
        contextFor(ROUTE_STATS_FUNCTION),
      );
      return Object.fromEntries(response.jsonBody.routes.map((r) => [r.route, r]));
    };
    const all = await stats();
    expect(all.quick).toMatchObject({ received: 1, succeeded: 1, running: 0 });
    expect(all.sweep).toMatchObject({ received: 1, succeeded: 0, running: 1 });
    expect(await stats(`?since=${encodeURIComponent(new Date(testStarted).toISOString())}`)).toEqual(all);
    const later = await stats(`?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    expect(later.quick).toMatchObject({ received: 0, succeeded: 0 });
    expect(later.sweep).toMatchObject({ received: 0, running: 0 });

    await client.terminate(liveId, 'test over');
  }, 90_000);
});
