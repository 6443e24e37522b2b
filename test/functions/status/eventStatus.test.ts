import { join } from 'node:path';
import { HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { TableEventLedger } from '../../../adapters/ledger/tableEventLedger';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { DurableEngine, createInvocationContextWithDurableClient } from '../../../devhost/durable/index';
import {
  createRegistry,
  installRegistrationCapture,
} from '../../../devhost/registrations/captureRegistrations';
import { createEventStatus, type EventStatusHandler } from '../../../functions/status/eventStatus';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import { loadRoutes } from '../../../shared/routes/loadRoutes';
import { azuriteLedger } from '../../support/azuriteTables';

// The routes the app would load (the e2e fixture: e2e-fail has maxAttempts 2), as registerFunctions passes them.
const routes = loadRoutes(join(__dirname, '..', '..', 'fixtures', 'e2e', 'routes.json')).map((route) => ({
  name: route.name,
  maxAttempts: route.policy.maxAttempts,
}));
// The event ledger in Azurite.
let azurite: RunningAzurite;
let ledger: TableEventLedger;
let eventStatus: EventStatusHandler;

interface FakeJobInput {
  status: Record<string, unknown>;
  hold?: boolean;
}

let engine: DurableEngine;

const SOURCE = '/s';
const idOf = (eventId: string, source = SOURCE) => ({ source, id: eventId });

function status(
  route: string,
  eventId: string,
  attempt: number,
  phase: string,
  extra: Record<string, unknown> = {},
): FakeJobInput {
  const source = typeof extra.eventSource === 'string' ? extra.eventSource : SOURCE;
  const generation = typeof extra.resubmission === 'number' ? extra.resubmission : 0;
  return {
    status: {
      phase,
      route,
      eventId,
      eventSource: source,
      attempt,
      maxAttempts: 2,
      containerGroup: instanceIdFor(route, idOf(eventId, source), attempt, generation),
      polls: 1,
      deadline: '2026-01-01T00:00:00Z',
      ...extra,
    },
  };
}

beforeAll(async () => {
  azurite = await startAzurite();
  ledger = azuriteLedger(azurite);
  eventStatus = createEventStatus(routes, ledger);
  // A stand-in for dispatchJob: publishes the customStatus it is given, optionally waits.
  const registry = createRegistry();
  const uninstall = installRegistrationCapture(registry);
  df.app.orchestration('fakeJob', function* (context: OrchestrationContext) {
    const input = context.df.getInput<FakeJobInput>();
    context.df.setCustomStatus(input.status);
    if (input.hold) yield context.df.waitForExternalEvent('go');
    return 'done';
  });
  uninstall();
  engine = new DurableEngine({ taskHubName: 'statustest' });
  engine.registerFromRegistry(registry);
  await engine.start();
  const start = (route: string, eventId: string, attempt: number, input: FakeJobInput): Promise<unknown> => {
    const source = input.status.eventSource as string;
    const generation = (input.status.resubmission as number | undefined) ?? 0;
    const instanceId = instanceIdFor(route, idOf(eventId, source), attempt, generation);
    const id = engine.startNew('fakeJob', { instanceId, input });
    return input.hold ? engine.waitForInstance(id, { statuses: ['Running'] }) : engine.waitForInstance(id);
  };
  await start(
    'e2e-fail',
    'ev-1',
    1,
    status('e2e-fail', 'ev-1', 1, 'Requeued', { exitCode: 3, reason: 'JobFailed: exit 3' }),
  );
  await start(
    'e2e-fail',
    'ev-1',
    2,
    status('e2e-fail', 'ev-1', 2, 'DeadLettered', { exitCode: 3, reason: 'JobFailed' }),
  );
  await start('e2e-fan-a', 'ev-2', 1, { ...status('e2e-fan-a', 'ev-2', 1, 'Watching'), hold: true });
  await start('e2e-fan-b', 'ev-2', 1, status('e2e-fan-b', 'ev-2', 1, 'Succeeded', { exitCode: 0 }));
  // The same id from two sources (two events), and a resubmission of the second.
  await start('e2e-fail', 'ev-3', 1, status('e2e-fail', 'ev-3', 1, 'Succeeded', { eventSource: '/one' }));
  await start('e2e-fail', 'ev-3', 1, status('e2e-fail', 'ev-3', 1, 'DeadLettered', { eventSource: '/two' }));
  await start(
    'e2e-fail',
    'ev-3',
    1,
    status('e2e-fail', 'ev-3', 1, 'Succeeded', { eventSource: '/two', resubmission: 1 }),
  );
});

afterAll(async () => {
  await engine?.stop();
  await azurite?.close();
});

function context(): InvocationContext {
  return createInvocationContextWithDurableClient(engine, {
    options: { extraInputs: [df.input.durableClient()] },
  });
}

async function get(eventId: string, source?: string): Promise<{ status?: number; body: unknown }> {
  const query = source !== undefined ? `?source=${encodeURIComponent(source)}` : '';
  const request = new HttpRequest({
    method: 'GET',
    url: `http://localhost/api/events/${eventId}${query}`,
    params: { eventId },
  });
  const response = await eventStatus(request, context());
  return { status: response.status, body: response.jsonBody };
}

describe('GET /api/events/{eventId}', () => {
  it('lists every attempt of every route the event started, from customStatus', async () => {
    const { status: code, body } = await get('ev-1');
    expect(code).toBe(200);
    expect(body).toEqual({
      eventId: 'ev-1',
      state: 'Settled',
      events: [],
      jobs: [
        expect.objectContaining({
          instanceId: instanceIdFor('e2e-fail', idOf('ev-1'), 1),
          eventId: 'ev-1',
          eventSource: SOURCE,
          resubmission: 0,
          route: 'e2e-fail',
          attempt: 1,
          phase: 'Requeued',
          runtimeStatus: 'Completed',
          exitCode: 3,
          containerGroup: instanceIdFor('e2e-fail', idOf('ev-1'), 1),
          reason: 'JobFailed: exit 3',
          createdTime: expect.stringMatching(/^\d{4}-/) as string,
          lastUpdatedTime: expect.stringMatching(/^\d{4}-/) as string,
        }),
        expect.objectContaining({ attempt: 2, phase: 'DeadLettered', reason: 'JobFailed' }),
      ],
    });
  });

  it('shows one job per route for a fanned-out event, running ones included', async () => {
    const { body } = await get('ev-2');
    const jobs = (
      body as {
        jobs: Array<{ route: string; phase: string; runtimeStatus: string; exitCode: number | null }>;
      }
    ).jobs;
    expect(jobs.map((j) => [j.route, j.phase, j.runtimeStatus, j.exitCode])).toEqual([
      ['e2e-fan-a', 'Watching', 'Running', null],
      ['e2e-fan-b', 'Succeeded', 'Completed', 0],
    ]);
  });

  it('asks by source and id; by id alone it answers every source that used the id', async () => {
    const bySource = await get('ev-1', SOURCE);
    expect(bySource.status).toBe(200);
    expect((bySource.body as { jobs: unknown[] }).jobs).toHaveLength(2);
    expect((await get('ev-1', '/elsewhere')).status).toBe(404);

    const both = await get('ev-3');
    expect(
      (both.body as { jobs: Array<{ eventSource: string; phase: string }> }).jobs.map((j) => [
        j.eventSource,
        j.phase,
      ]),
    ).toEqual([
      ['/one', 'Succeeded'],
      ['/two', 'DeadLettered'],
      ['/two', 'Succeeded'],
    ]);
    const one = await get('ev-3', '/one');
    expect((one.body as { jobs: Array<{ phase: string }> }).jobs.map((j) => j.phase)).toEqual(['Succeeded']);
    // The resubmitted generation is part of the event's history.
    const two = await get('ev-3', '/two');
    expect(
      (two.body as { jobs: Array<{ phase: string; resubmission: number }> }).jobs.map((j) => [
        j.resubmission,
        j.phase,
      ]),
    ).toEqual([
      [0, 'DeadLettered'],
      [1, 'Succeeded'],
    ]);
  });

  it('shows an event the trigger rejected at once, from the ledger', async () => {
    await ledger.recordRejected({
      eventId: 'ev-rejected',
      source: 'urn:producer',
      type: 'nobody.handles.this',
      receivedAt: '2026-11-29T10:00:00.000Z',
      reason: 'NoRoute',
      description: 'no route matches type "nobody.handles.this", source "urn:producer"',
    });
    const { status: code, body } = await get('ev-rejected');
    expect(code).toBe(200);
    expect(body).toMatchObject({
      eventId: 'ev-rejected',
      state: 'Rejected',
      rejection: {
        source: 'urn:producer',
        reason: 'NoRoute',
        description: 'no route matches type "nobody.handles.this", source "urn:producer"',
      },
      jobs: [],
    });
  });

  it('joins ledger attempts with the live orchestration (ledger outcome, log URL)', async () => {
    const key = { eventId: 'ev-2', source: SOURCE };
    const logUrl = 'http://127.0.0.1/devstoreaccount1/job-logs/e2e-fan-b/ev-2/a1.log';
    await ledger.recordReceived({
      ...key,
      receivedAt: '2026-11-29T10:00:00.000Z',
      routes: ['e2e-fan-a', 'e2e-fan-b'],
    });
    for (const route of ['e2e-fan-a', 'e2e-fan-b']) {
      const instanceId = instanceIdFor(route, idOf('ev-2'), 1);
      await ledger.recordAttemptStarted({
        ...key,
        route,
        attempt: 1,
        instanceId,
        startedAt: '2026-11-29T10:00:00.000Z',
      });
    }
    await ledger.recordAttemptSettled({
      ...key,
      route: 'e2e-fan-b',
      attempt: 1,
      instanceId: instanceIdFor('e2e-fan-b', idOf('ev-2'), 1),
      outcome: 'Succeeded',
      settledAt: '2026-11-29T10:00:09.000Z',
      exitCode: 0,
      logUrl,
    });
    const { body } = await get('ev-2');
    expect(body).toMatchObject({
      state: 'InProgress',
      events: [{ source: SOURCE, routes: ['e2e-fan-a', 'e2e-fan-b'] }],
      jobs: [
        { route: 'e2e-fan-a', phase: 'Watching', runtimeStatus: 'Running', source: SOURCE },
        { route: 'e2e-fan-b', phase: 'Succeeded', logUrl },
      ],
    });
  });

  it('answers 404 only for an id never seen', async () => {
    const { status: code, body } = await get('never-sent');
    expect(code).toBe(404);
    expect(body).toEqual({ error: "event 'never-sent' was never seen", eventId: 'never-sent' });
  });
});
