import { CapacityProviderError, TransientProviderError } from '../../../shared/errors/dispatchErrors';
import {
  CANCEL_EVENT,
  DISPATCH_JOB_ORCHESTRATOR,
  type DispatchJobInput,
} from '../../../orchestrations/dispatchJob/dispatchJobInput';
import type { DispatchJobSettlement, DispatchJobStatus } from '../../../orchestrations/dispatchJob/contracts';
import {
  ADMISSION_COORDINATOR_ID,
  type CoordinatorStatus,
} from '../../../orchestrations/admission/contracts';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import type { ResolvedRoute } from '../../../shared/routes/resolvedRoute';
import {
  startDispatchJobHarness,
  testRoute,
  type DispatchJobHarness,
} from '../../support/dispatchJobHarness';
import type { JobScript } from '../../support/scriptedJobProvider';
import { triggerSettings } from '../../support/triggerEnvironment';

const MIN = 60_000;
let h: DispatchJobHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function inputFor(route: ResolvedRoute, eventId: string): DispatchJobInput {
  const event = { id: eventId, type: 'demo.hello', source: '/tests' };
  return {
    route,
    event,
    eventJson: JSON.stringify({ specversion: '1.0', ...event }),
    attempt: 1,
    pollsPerExecution: 20,
    admission: true,
  };
}

async function startHarness(
  limits: string,
  script: (eventId: string) => JobScript,
): Promise<DispatchJobHarness> {
  h = await startDispatchJobHarness({
    settings: triggerSettings({
      DISPATCH_ADMISSION_DEFAULT_LIMITS: limits,
      DISPATCH_ADMISSION_RECONCILE_INTERVAL: 'PT1M',
    }),
    scriptFor: (spec) => script(spec.eventId),
  });
  return h;
}

/** Starts one instance per event a virtual second apart; returns their ids. */
async function startAll(
  harness: DispatchJobHarness,
  route: ResolvedRoute,
  eventIds: string[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const eventId of eventIds) {
    const id = instanceIdFor(route.name, { source: '/tests', id: eventId }, 1);
    harness.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, { instanceId: id, input: inputFor(route, eventId) });
    ids.push(id);
    await harness.clock.advance(1_000);
  }
  return ids;
}

async function settleAll(harness: DispatchJobHarness, ids: string[], maxMs = 12 * 3_600_000) {
  const until = harness.clock.now() + maxMs;
  const done = (): boolean => ids.every((id) => harness.engine.getStatus(id)?.runtimeStatus === 'Completed');
  while (!done()) {
    if (harness.clock.now() > until) throw new Error('not settled in time');
    await harness.clock.advance(5_000);
  }
  return ids.map((id) => harness.engine.getStatus(id)!.output as DispatchJobSettlement);
}

/** Most container groups that existed at once: each job from its creation to the delete call that removed it. */
function peakGroups(harness: DispatchJobHarness): number {
  const points: [number, number][] = [];
  for (const [name, job] of harness.provider.jobs) {
    const deleted = harness.provider.calls.find(
      (c) => c.op === 'delete' && c.name === name && c.atMs >= job.createdAtMs,
    );
    points.push([job.createdAtMs, 1], [deleted?.atMs ?? Infinity, -1]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of points) peak = Math.max(peak, (current += delta));
  return peak;
}

describe('dispatchJob with capacity admission', () => {
  const route = testRoute({ name: 'burst' });

  it('runs a burst three times the quota without a failure, never more than the quota at once', async () => {
    const harness = await startHarness('containerGroups=2', () => ({ runMs: 10 * MIN }));
    const events = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'];
    const ids = await startAll(harness, route, events);
    // While the burst waits, the waiting instances say so.
    const waiting = harness.engine.getStatus(ids[5]!)!.customStatus as DispatchJobStatus;
    expect(waiting).toMatchObject({
      phase: 'WaitingForCapacity',
      admission: {
        ticket: 1,
        target: '00000000-0000-0000-0000-000000000000/westeurope',
        since: expect.any(String) as unknown,
      },
    });
    const settlements = await settleAll(harness, ids);
    expect(settlements.map((s) => s.outcome)).toEqual(events.map(() => 'Succeeded'));
    expect(peakGroups(harness)).toBe(2);
    expect(harness.queue.requeues).toEqual([]);
    await harness.clock.advance(2 * MIN);
    const coordinator = harness.engine.getStatus(ADMISSION_COORDINATOR_ID)!.customStatus as CoordinatorStatus;
    expect(coordinator).toMatchObject({ holders: 0, waiting: 0 });
  });

  it('a quota error from ARM gives the slot back and waits again without using an attempt', async () => {
    const quotaError = new CapacityProviderError(
      'container group quota exceeded',
      'ContainerGroupQuotaReached',
    );
    const throttled = new TransientProviderError('too many creates', 'ResourceRequestsThrottled', 30_000);
    const harness = await startHarness('containerGroups=5', (eventId) =>
      eventId === 'e1'
        ? { runMs: MIN, createErrors: [{ error: quotaError }, { error: throttled }] }
        : { runMs: MIN },
    );
    const [id] = await startAll(harness, route, ['e1']);
    const [settlement] = await settleAll(harness, [id!]);
    expect(settlement).toMatchObject({ outcome: 'Succeeded', attempt: 1 });
    expect(harness.queue.requeues).toEqual([]);
    expect(harness.provider.count('create')).toBe(3);
    const creates = harness.provider.calls.filter((c) => c.op === 'create').map((c) => c.atMs);
    // Held back a minute after the quota error, then 30 s (Retry-After) after the throttling.
    expect(creates[1]! - creates[0]!).toBeGreaterThanOrEqual(MIN);
    expect(creates[2]! - creates[1]!).toBeGreaterThanOrEqual(30_000);
  });

  it('dead-letters CapacityExhausted after capacityWait, saying how long it waited', async () => {
    const long = testRoute({ name: 'burst', policy: { timeout: 'PT3H' } });
    const impatient = testRoute({ name: 'impatient', policy: { capacityWait: 'PT30M' } });
    const harness = await startHarness('containerGroups=1', (eventId) => ({
      runMs: eventId === 'e1' ? 2 * 60 * MIN : MIN,
    }));
    const [first] = await startAll(harness, long, ['e1']);
    const [second] = await startAll(harness, impatient, ['e2']);
    const [, settlement] = await settleAll(harness, [first!, second!]);
    expect(settlement).toMatchObject({ outcome: 'DeadLettered', reason: 'CapacityExhausted', attempt: 1 });
    expect(settlement!.description).toMatch(
      /waited 30 min for capacity on .*westeurope \(policy\.capacityWait PT30M\)/,
    );
    expect(harness.queue.deadLetterCopies).toHaveLength(1);
    expect(harness.provider.jobs.has(settlement!.containerGroup)).toBe(false);
  });

  it('a cancel while waiting for capacity withdraws the request: Cancelled, no job created, the queue moves on', async () => {
    const long = testRoute({ name: 'burst', policy: { timeout: 'PT3H' } });
    const harness = await startHarness('containerGroups=1', (eventId) => ({
      runMs: eventId === 'e1' ? 60 * MIN : MIN,
    }));
    const [first, second, third] = await startAll(harness, long, ['e1', 'e2', 'e3']);
    expect((harness.engine.getStatus(second!)!.customStatus as DispatchJobStatus).phase).toBe(
      'WaitingForCapacity',
    );

    await harness.client.raiseEvent(second!, CANCEL_EVENT, { by: 'alice: not needed' });
    await harness.clock.advance(1_000);
    await harness.engine.waitForIdle();
    // Settled at once, long before the first job frees the slot.
    expect(harness.engine.getStatus(second!)!.runtimeStatus).toBe('Completed');
    const cancelled = harness.engine.getStatus(second!)!.output as DispatchJobSettlement;
    expect(cancelled).toMatchObject({ outcome: 'Cancelled', reason: 'Cancelled', attempt: 1 });
    expect(harness.queue.deadLetterCopies).toEqual([
      expect.objectContaining({ reason: 'Cancelled', attempt: 1 }),
    ]);

    const settlements = await settleAll(harness, [first!, third!]);
    expect(settlements.map((s) => s.outcome)).toEqual(['Succeeded', 'Succeeded']);
    // Only e1 and e3 ever had a job; e2's request left the queue.
    expect(harness.provider.count('create')).toBe(2);
    expect(harness.provider.jobs.has(cancelled.containerGroup)).toBe(false);
    await harness.clock.advance(2 * MIN);
    const coordinator = harness.engine.getStatus(ADMISSION_COORDINATOR_ID)!.customStatus as CoordinatorStatus;
    expect(coordinator).toMatchObject({ holders: 0, waiting: 0 });
  });
});
