import type { FunctionHandler, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { VirtualClock } from '../devhost/durable/clock';
import { DurableEngine, TERMINAL_STATUSES } from '../devhost/durable/durableEngine';
import { createAdmissionActivities } from '../orchestrations/admission/activities';
import {
  ADMISSION_COORDINATOR,
  ADMISSION_COORDINATOR_ID,
  AdmissionActivity,
} from '../orchestrations/admission/contracts';
import { registerAdmission } from '../orchestrations/admission/registration';
import {
  DISPATCH_JOB_ORCHESTRATOR,
  type DispatchJobInput,
} from '../orchestrations/dispatchJob/dispatchJobInput';
import { DispatchJobActivity } from '../orchestrations/dispatchJob/contracts';
import { createDispatchJobActivities } from '../orchestrations/dispatchJob/createDispatchJobActivities';
import { registerDispatchJob } from '../orchestrations/dispatchJob/registerDispatchJob';
import type { DeadLetterCopyRequest, EventQueue, RequeueRequest } from '../adapters/serviceBus/eventQueue';
import { containerGroupNameFor, instanceIdFor } from '../shared/naming/dispatchNames';
import type { ResolvedRoute } from '../shared/routes/resolvedRoute';
import type { AdmissionMode, BurstResult } from './admissionSim';
import { captureHandlers, requireHandler } from './captureHandlers';
import { QuotaJobProvider } from './quotaJobProvider';

/*
 * The same burst through the local Durable engine (durable-functions' replay code, virtual clock) at a smaller
 * scale, with the real dispatchJob orchestration and its activities over a quota-enforcing provider: today
 * (admission off: capacity errors consume attempts; a requeued copy starts the next attempt at its scheduled time,
 * as Service Bus would deliver it) and admission on (the real coordinator). Measures what the simulation cannot:
 * episodes per job.
 */

export interface EngineBurst {
  events: number;
  jobMs: number;
  quota: number;
  route: ResolvedRoute;
  pollsPerExecution: number;
}

/** Starts the next attempt when its requeued copy would be delivered; counts dead-letter copies. */
class RequeueingQueue implements EventQueue {
  deadLettered = 0;
  requeued = 0;
  constructor(private readonly requeueTo: (request: RequeueRequest) => void) {}
  requeue(request: RequeueRequest): Promise<void> {
    this.requeued++;
    this.requeueTo(request);
    return Promise.resolve();
  }
  sendDeadLetterCopy(_request: DeadLetterCopyRequest): Promise<void> {
    this.deadLettered++;
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export async function runBurstOnEngine(mode: AdmissionMode, burst: EngineBurst): Promise<BurstResult> {
  const wallStart = Date.now();
  const clock = new VirtualClock();
  const start = clock.now();
  const provider = new QuotaJobProvider(clock, burst.quota);
  const engine = new DurableEngine({ clock, taskHubName: 'benchadmission' });
  const inputFor = (i: number, attempt: number): DispatchJobInput => {
    const event = { id: `burst-${i}`, type: 'bench.burst', source: '/bench' };
    return {
      route: burst.route,
      event,
      eventJson: JSON.stringify({ specversion: '1.0', ...event }),
      attempt,
      pollsPerExecution: burst.pollsPerExecution,
      ...(mode === 'admission' ? { admission: true } : {}),
    };
  };
  const startAttempt = (i: number, attempt: number): string => {
    const id = instanceIdFor(burst.route.name, { source: '/bench', id: `burst-${i}` }, attempt);
    provider.inner.planJob(containerGroupNameFor(id), burst.jobMs);
    engine.startNew(DISPATCH_JOB_ORCHESTRATOR, { instanceId: id, input: inputFor(i, attempt) });
    return id;
  };
  const queue = new RequeueingQueue((r) => {
    const i = Number(r.identity.id.slice('burst-'.length));
    clock.setTimer(r.scheduledEnqueueTime.getTime(), () => startAttempt(i, r.attempt));
  });

  const handlers = await captureHandlers(() => {
    const activities = createDispatchJobActivities({ jobProvider: provider, eventQueue: queue });
    registerDispatchJob(() => activities);
    registerAdmission((context: InvocationContext) =>
      createAdmissionActivities({
        client: df.getClient(context),
        limitsFor: () => ({
          containerGroups: burst.quota,
          cores: burst.quota * 4,
          createsPer5Min: 1e6,
          createsPerHour: 1e6,
        }),
      }),
    );
  });
  const register = (name: string, kind: 'orchestration' | 'activity', durableClient = false): void => {
    const handler: FunctionHandler = requireHandler(handlers, name);
    if (kind === 'orchestration') engine.registerOrchestration(name, handler);
    else engine.registerActivity(name, handler, durableClient ? [df.input.durableClient()] : []);
  };
  register(DISPATCH_JOB_ORCHESTRATOR, 'orchestration');
  register(ADMISSION_COORDINATOR, 'orchestration');
  for (const name of Object.values(DispatchJobActivity)) register(name, 'activity');
  for (const name of Object.values(AdmissionActivity)) register(name, 'activity', true);
  await engine.start();
  try {
    for (let i = 0; i < burst.events; i++) startAttempt(i, 1);
    // Timer by timer until every event has settled (the coordinator never ends: it is not waited for).
    const settled = (): { succeeded: number; done: boolean } => {
      const jobs = engine.listInstances().filter((s) => s.instanceId !== ADMISSION_COORDINATOR_ID);
      if (jobs.some((s) => !TERMINAL_STATUSES.includes(s.runtimeStatus)))
        return { succeeded: 0, done: false };
      const succeeded = jobs.filter(
        (s) => (s.output as { outcome?: string } | undefined)?.outcome === 'Succeeded',
      ).length;
      const dead = queue.deadLettered;
      return { succeeded, done: succeeded + dead >= burst.events };
    };
    let result = { succeeded: 0, done: false };
    for (let fired = 0; ; fired++) {
      await engine.waitForIdle();
      if (fired % 20 === 0 || clock.nextDueAt() === undefined) {
        result = settled();
        if (result.done) break;
      }
      if (!(await clock.fireNext())) break;
    }
    const succeeded = result.succeeded;
    const makespan = provider.lastDeleteAt - start;
    const coordinatorEpisodes = engine.instanceCounters(ADMISSION_COORDINATOR_ID)?.episodes ?? 0;
    return {
      mode,
      events: burst.events,
      succeeded,
      deadLettered: queue.deadLettered,
      makespanMs: makespan,
      idealMs: (burst.events * burst.jobMs) / burst.quota,
      utilisation: makespan > 0 ? provider.groupMs / (burst.quota * makespan) : 0,
      creates: provider.creates,
      rejected: provider.rejected,
      peakGroups: provider.peak,
      maxWaitMs: 0,
      episodesPerJob: engine.counters.episodes / burst.events,
      coordinatorEpisodes,
      wallMs: Date.now() - wallStart,
      scale: 'engine',
    };
  } finally {
    await engine.stop();
  }
}
