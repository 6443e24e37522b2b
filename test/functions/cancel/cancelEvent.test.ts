import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import { createInvocationContextWithDurableClient } from '../../../devhost/durable/index';
import { startAzurite } from '../../../devhost/dev/startAzurite';
import { createCancelEvent } from '../../../functions/cancel/cancelEvent';
import { newestAttempts } from '../../../functions/status/newestAttempts';
import type { JobView } from '../../../functions/status/jobStatus';
import type { ResultPublisher } from '../../../adapters/serviceBus/resultPublisher';
import {
  CANCEL_EVENT,
  DISPATCH_JOB_ORCHESTRATOR,
  type DispatchJobInput,
} from '../../../orchestrations/dispatchJob/dispatchJobInput';
import type { DispatchJobSettlement, DispatchJobStatus } from '../../../orchestrations/dispatchJob/contracts';
import { containerGroupNameFor, instanceIdFor } from '../../../shared/naming/dispatchNames';
import {
  startDispatchJobHarness,
  testRoute,
  type DispatchJobHarness,
} from '../../support/dispatchJobHarness';
import type { JobScript } from '../../support/scriptedJobProvider';
import { azuriteLedger } from '../../support/azuriteTables';

/*
 * Cancel through the real orchestrator (durable-functions' replay code in the local Durable engine) and the
 * real DurableClient: the cancel function, the `cancel` event racing the poll timer, the attempt started
 * already cancelled in place of a scheduled requeue.
 */

const EVENT = { id: 'evt-cancel', type: 'demo.hello', source: '/tests' };
const EVENT_JSON = JSON.stringify({ specversion: '1.0', ...EVENT });
const route = testRoute({
  name: 'hello',
  policy: { poll: { initial: 'PT10S', max: 'PT10S' }, backoff: { initial: 'PT1M', max: 'PT1M' } },
});
const cancelEvent = createCancelEvent([{ name: 'hello', maxAttempts: 3 }]);

let h: DispatchJobHarness | undefined;
/** What the cancel function logged (through the invocation context, as the host would collect it). */
let logged: string[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  logged = [];
});

async function start(
  script: JobScript,
  attempt = 1,
  resultPublisher?: ResultPublisher,
): Promise<{ h: DispatchJobHarness; instanceId: string }> {
  h = await startDispatchJobHarness({
    scriptFor: () => script,
    ...(resultPublisher ? { resultPublisher } : {}),
  });
  const instanceId = instanceIdFor(route.name, EVENT, attempt);
  const input: DispatchJobInput = {
    route,
    event: EVENT,
    eventJson: EVENT_JSON,
    attempt,
    pollsPerExecution: 20,
  };
  h.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, { instanceId, input });
  await h.engine.waitForIdle();
  return { h, instanceId };
}

/** A cancel of a requeued event: attempt 2 is started already cancelled and settles without a job. */
async function expectRequeueCancelled(harness: DispatchJobHarness): Promise<string> {
  const response = await cancel(harness);
  expect(response.status).toBe(202);
  const next = instanceIdFor('hello', EVENT, 2);
  expect(response.jsonBody).toMatchObject({
    routes: [{ attempt: 2, instanceId: next, state: 'cancelling' }],
  });
  const second = await settled(harness, next);
  expect(second.settlement).toMatchObject({ outcome: 'Cancelled', attempt: 2 });
  expect(harness.provider.count('create')).toBe(1);
  return next;
}

async function cancel(
  harness: DispatchJobHarness,
  body?: unknown,
  source?: string,
): Promise<HttpResponseInit> {
  const context = createInvocationContextWithDurableClient(harness.engine, {
    options: { extraInputs: [df.input.durableClient()] },
    logHandler: (level, ...args) => logged.push(`${level}: ${args.map(String).join(' ')}`),
  });
  const query = source !== undefined ? `?source=${encodeURIComponent(source)}` : '';
  const request = new HttpRequest({
    method: 'POST',
    url: `http://localhost/api/events/${EVENT.id}/cancel${query}`,
    params: { eventId: EVENT.id },
    ...(body !== undefined ? { body: { string: JSON.stringify(body) } } : {}),
  });
  return cancelEvent(request, context);
}

async function settled(harness: DispatchJobHarness, instanceId: string) {
  await harness.engine.runUntilIdle();
  const status = await harness.engine.waitForInstance(instanceId);
  expect(status.runtimeStatus).toBe('Completed');
  return {
    settlement: status.output as DispatchJobSettlement,
    custom: status.customStatus as DispatchJobStatus,
  };
}

describe('POST /api/events/{id}/cancel', () => {
  it('stops a running job at once, deletes its group and dead-letters the event as Cancelled; a repeat is a 200', async () => {
    const { h, instanceId } = await start({ neverEnds: true });
    await h.clock.advance(35_000);
    expect((h.engine.getStatus(instanceId)?.customStatus as DispatchJobStatus).phase).toBe('Watching');

    const response = await cancel(h, { by: 'alice: runaway' });
    expect(response.status).toBe(202);
    expect(response.jsonBody).toEqual({
      eventId: EVENT.id,
      routes: [
        {
          route: 'hello',
          attempt: 1,
          instanceId,
          state: 'cancelling',
          phase: 'Watching',
          source: EVENT.source,
        },
      ],
    });
    await h.engine.waitForIdle();
    const { settlement, custom } = await settled(h, instanceId);
    expect(settlement).toMatchObject({ outcome: 'Cancelled', reason: 'Cancelled' });
    expect(custom).toMatchObject({ phase: 'Cancelled', reason: 'Cancelled' });
    const group = containerGroupNameFor(instanceId);
    expect(h.provider.count('stop', group)).toBe(1);
    expect(h.provider.count('delete', group)).toBeGreaterThanOrEqual(1);
    // Honoured at once: no poll after the cancel.
    expect(
      h.provider.calls.filter((c) => c.op === 'status' && c.atMs > Date.parse('2026-01-01T00:00:35Z')),
    ).toEqual([]);
    expect(h.queue.requeues).toEqual([]);
    expect(h.queue.deadLetterCopies).toHaveLength(1);
    expect(h.queue.deadLetterCopies[0]).toMatchObject({ reason: 'Cancelled', route: 'hello', attempt: 1 });
    expect(h.queue.deadLetterCopies[0]?.description).toContain('cancelled by an operator (alice: runaway)');

    expect(logged).toEqual([
      `information: cancel of event ${EVENT.id} by alice: runaway: ${instanceId} cancelling`,
    ]);
    const again = await cancel(h);
    expect(again.status).toBe(200);
    expect(again.jsonBody).toMatchObject({ routes: [{ state: 'cancelled', phase: 'Cancelled' }] });
    await h.engine.runUntilIdle();
    expect(h.queue.deadLetterCopies).toHaveLength(1);
  });

  it('stops a job watched across continueAsNew executions', async () => {
    h = await startDispatchJobHarness({ scriptFor: () => ({ neverEnds: true }) });
    const instanceId = instanceIdFor(route.name, EVENT, 1);
    h.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
      instanceId,
      input: { route, event: EVENT, eventJson: EVENT_JSON, attempt: 1, pollsPerExecution: 2 },
    });
    await h.clock.advance(65_000);
    await h.engine.waitForIdle();
    expect((h.engine.getStatus(instanceId)?.customStatus as DispatchJobStatus).execution).toBeGreaterThan(2);
    expect((await cancel(h)).status).toBe(202);
    const { settlement } = await settled(h, instanceId);
    expect(settlement.outcome).toBe('Cancelled');
    expect(h.provider.count('stop')).toBe(1);
  });

  it('honours a cancel raised while the job is being created, once it exists', async () => {
    h = await startDispatchJobHarness({ scriptFor: () => ({ neverEnds: true }) });
    const instanceId = instanceIdFor(route.name, EVENT, 1);
    h.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
      instanceId,
      input: { route, event: EVENT, eventJson: EVENT_JSON, attempt: 1, pollsPerExecution: 20 },
    });
    // Before any episode ran: the event waits in the inbox, Durable buffers it until the watch asks.
    await h.client.raiseEvent(instanceId, CANCEL_EVENT, { by: 'early' });
    const { settlement } = await settled(h, instanceId);
    expect(settlement.outcome).toBe('Cancelled');
    expect(h.provider.count('create')).toBe(1);
    expect(h.provider.count('status')).toBe(0);
  });

  it('cancels a scheduled requeue: the next attempt settles Cancelled without a job', async () => {
    const { h, instanceId } = await start({ runMs: 5_000, exitCode: 1 });
    const first = await settled(h, instanceId);
    expect(first.settlement.outcome).toBe('Requeued');
    expect(h.queue.requeues).toHaveLength(1);

    const next = await expectRequeueCancelled(h);
    expect(h.queue.deadLetterCopies).toEqual([expect.objectContaining({ reason: 'Cancelled', attempt: 2 })]);
    // The scheduled copy, when it arrives, finds attempt 2's instance: the trigger's duplicate rule.
    await expect(h.client.getStatus(next)).resolves.toMatchObject({ runtimeStatus: 'Completed' });
    expect((await cancel(h)).status).toBe(200);
  });

  it('cancels a requeue whose attempt is still retrying to publish its result (Requeued but Running)', async () => {
    const down: ResultPublisher = {
      publish: () => Promise.reject(new Error('results topic unreachable')),
      close: () => Promise.resolve(),
    };
    const { h, instanceId } = await start({ runMs: 5_000, exitCode: 1 }, 1, down);
    await h.clock.advance(20_000);
    await h.engine.waitForIdle();
    const first = h.engine.getStatus(instanceId);
    expect([first?.runtimeStatus, (first?.customStatus as DispatchJobStatus).phase]).toEqual([
      'Running',
      'Requeued',
    ]);
    expect(h.queue.requeues).toHaveLength(1);
    await expectRequeueCancelled(h);
  });

  it('answers 409 with the state when the event settled otherwise first, and 404 for an unknown event', async () => {
    const { h, instanceId } = await start({ runMs: 5_000 });
    expect((await settled(h, instanceId)).settlement.outcome).toBe('Succeeded');
    const response = await cancel(h);
    expect(response.status).toBe(409);
    expect(response.jsonBody).toMatchObject({ routes: [{ state: 'settled', phase: 'Succeeded' }] });
    expect(h.queue.deadLetterCopies).toEqual([]);

    const context = createInvocationContextWithDurableClient(h.engine, {
      options: { extraInputs: [df.input.durableClient()] },
      logHandler: (level, ...args) => logged.push(`${level}: ${args.map(String).join(' ')}`),
    });
    const unknown = await cancelEvent(
      new HttpRequest({
        method: 'POST',
        url: 'http://localhost/api/events/nope/cancel',
        params: { eventId: 'nope' },
      }),
      context,
    );
    expect(unknown.status).toBe(404);
    expect((await cancel(h, { by: 42 })).status).toBe(400);
  });

  it("cancels by (source, id): ?source= stops only that source's event; without it every source that used the id", async () => {
    h = await startDispatchJobHarness({ scriptFor: () => ({ neverEnds: true }) });
    const other = { ...EVENT, source: '/other' };
    const ids = [EVENT, other].map((event) => {
      const instanceId = instanceIdFor(route.name, event, 1);
      const input: DispatchJobInput = {
        route,
        event,
        eventJson: JSON.stringify({ specversion: '1.0', ...event }),
        attempt: 1,
        pollsPerExecution: 20,
      };
      h?.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, { instanceId, input });
      return instanceId;
    });
    await h.clock.advance(35_000);
    await h.engine.waitForIdle();

    const one = await cancel(h, { by: 'only /other' }, '/other');
    expect(one.status).toBe(202);
    expect(one.jsonBody).toMatchObject({
      eventId: EVENT.id,
      source: '/other',
      routes: [{ instanceId: ids[1], source: '/other', state: 'cancelling' }],
    });
    await h.engine.waitForIdle();
    const phase = (instanceId = '') =>
      (h?.engine.getStatus(instanceId)?.customStatus as DispatchJobStatus).phase;
    expect([phase(ids[0]), phase(ids[1])]).toEqual(['Watching', 'Cancelled']);
    expect((await cancel(h, undefined, '/nowhere')).status).toBe(404);
    expect((await cancel(h, undefined, '')).status).toBe(400);

    // By id alone: each source's newest attempt is looked at on its own (one is cancelled already).
    const both = await cancel(h);
    expect(both.status).toBe(202);
    const routes = (both.jsonBody as { routes: { source: string; state: string }[] }).routes;
    expect(routes.map((r) => [r.source, r.state]).sort()).toEqual([
      ['/other', 'cancelled'],
      ['/tests', 'cancelling'],
    ]);
    expect((await settled(h, ids[0] ?? '')).settlement.outcome).toBe('Cancelled');
  });

  it('by id alone asks the ledger which sources used the id, then looks those events up by their instance ids', async () => {
    h = await startDispatchJobHarness({ scriptFor: () => ({ neverEnds: true }) });
    const azurite = await startAzurite();
    try {
      const ledger = azuriteLedger(azurite, 'cancelledger');
      const other = { ...EVENT, source: '/other' };
      const ids = [EVENT, other].map((event) => {
        const instanceId = instanceIdFor(route.name, event, 1);
        const eventJson = JSON.stringify({ specversion: '1.0', ...event });
        const input: DispatchJobInput = { route, event, eventJson, attempt: 1, pollsPerExecution: 20 };
        h?.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, { instanceId, input });
        return instanceId;
      });
      // Only /tests is in the ledger: a cancel by id that found /other would have listed the task hub instead.
      await ledger.recordReceived({
        eventId: EVENT.id,
        source: EVENT.source,
        receivedAt: '2026-01-01T00:00:00Z',
        routes: ['hello'],
      });
      await h.clock.advance(35_000);
      await h.engine.waitForIdle();
      const context = createInvocationContextWithDurableClient(h.engine, {
        options: { extraInputs: [df.input.durableClient()] },
        logHandler: (level, ...args) => logged.push(`${level}: ${args.map(String).join(' ')}`),
      });
      const request = new HttpRequest({
        method: 'POST',
        url: `http://localhost/api/events/${EVENT.id}/cancel`,
        params: { eventId: EVENT.id },
      });
      const response = await createCancelEvent([{ name: 'hello', maxAttempts: 3 }], ledger)(request, context);
      expect(response.status).toBe(202);
      expect(response.jsonBody).toMatchObject({ routes: [{ instanceId: ids[0], source: '/tests' }] });
      expect((response.jsonBody as { routes: unknown[] }).routes).toHaveLength(1);
    } finally {
      await azurite.close();
    }
  });

  it('looks at the newest resubmission generation before the highest attempt', () => {
    const job = (resubmission: number, attempt: number, eventSource = '/tests') =>
      ({
        instanceId: `i-${eventSource}-${resubmission}-${attempt}`,
        eventSource,
        route: 'hello',
        resubmission,
        attempt,
      }) as JobView;
    const newest = newestAttempts([job(0, 3), job(1, 1), job(0, 2), job(0, 1, '/other')]);
    expect(newest.map((j) => j.instanceId).sort()).toEqual(['i-/other-0-1', 'i-/tests-1-1']);
  });

  it.each([4_000, 9_000, 10_000, 11_000, 21_000])(
    'leaves one consistent outcome when a cancel races the job ending (cancel at %i ms, job fails at 10 s)',
    async (cancelAtMs) => {
      const { h } = await start({ runMs: 10_000, exitCode: 1 });
      await h.clock.advance(cancelAtMs);
      await h.engine.waitForIdle();
      await cancel(h);
      await h.engine.runUntilIdle();
      const attempts = [1, 2].map((a) => h.engine.getStatus(instanceIdFor('hello', EVENT, a)));
      const final = attempts.filter((s) => s !== undefined).pop();
      expect((final?.output as DispatchJobSettlement).outcome).toBe('Cancelled');
      // Exactly one dead-letter copy, and never a job for a second attempt.
      expect(h.queue.deadLetterCopies).toHaveLength(1);
      expect(h.provider.count('create')).toBe(1);
    },
  );
});
