import { HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { DurableEngine, createInvocationContextWithDurableClient } from '../../../devhost/durable/index';
import {
  createRegistry,
  installRegistrationCapture,
} from '../../../devhost/registrations/captureRegistrations';
import { listJobs } from '../../../functions/status/listJobs';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';

let engine: DurableEngine;

beforeAll(async () => {
  const registry = createRegistry();
  const uninstall = installRegistrationCapture(registry);
  df.app.orchestration('fakeJob', function* (context: OrchestrationContext) {
    context.df.setCustomStatus(context.df.getInput());
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 1));
    return 'done';
  });
  df.app.orchestration('notAJob', function* () {
    yield* [];
    return 'other';
  });
  uninstall();
  engine = new DurableEngine({ taskHubName: 'listtest' });
  engine.registerFromRegistry(registry);
  await engine.start();
  const jobs: Array<[string, string, number, string]> = [
    ['alpha', 'e1', 1, 'Succeeded'],
    ['alpha', 'e2', 1, 'Requeued'],
    ['beta', 'e2', 1, 'DeadLettered'],
    ['alpha', 'e2', 2, 'Succeeded'],
  ];
  for (const [route, eventId, attempt, phase] of jobs) {
    const id = engine.startNew('fakeJob', {
      instanceId: instanceIdFor(route, { source: '/s', id: eventId }, attempt),
      input: {
        phase,
        route,
        eventId,
        eventSource: '/s',
        attempt,
        maxAttempts: 3,
        containerGroup: 'g',
        polls: 0,
        deadline: '2026-01-01T00:00:00Z',
      },
    });
    await engine.waitForInstance(id);
    // createdTime has whole-second resolution: keep the order observable.
    await new Promise((r) => setTimeout(r, 1100));
  }
  await engine.waitForInstance(engine.startNew('notAJob', { instanceId: 'something-else' }));
}, 30_000);

afterAll(async () => {
  await engine?.stop();
});

function context(): InvocationContext {
  return createInvocationContextWithDurableClient(engine, {
    options: { extraInputs: [df.input.durableClient()] },
  });
}

async function list(query: string): Promise<{ status?: number; body: unknown }> {
  const request = new HttpRequest({ method: 'GET', url: `http://localhost/api/jobs${query}` });
  const response = await listJobs(request, context());
  return { status: response.status, body: response.jsonBody };
}

function summary(body: unknown): string[] {
  return (body as { jobs: Array<{ route: string; attempt: number; phase: string }> }).jobs.map(
    (j) => `${j.route}#${j.attempt}:${j.phase}`,
  );
}

describe('GET /api/jobs', () => {
  it('lists dispatch jobs newest first and nothing else', async () => {
    const { status, body } = await list('');
    expect(status).toBe(200);
    expect(summary(body)).toEqual([
      'alpha#2:Succeeded',
      'beta#1:DeadLettered',
      'alpha#1:Requeued',
      'alpha#1:Succeeded',
    ]);
  });

  it('filters by phase (case-insensitive) and route, and honours top', async () => {
    expect(summary((await list('?phase=succeeded')).body)).toEqual([
      'alpha#2:Succeeded',
      'alpha#1:Succeeded',
    ]);
    expect(summary((await list('?route=beta')).body)).toEqual(['beta#1:DeadLettered']);
    expect(summary((await list('?route=alpha&top=2')).body)).toEqual([
      'alpha#2:Succeeded',
      'alpha#1:Requeued',
    ]);
  });

  it('rejects a bad top with a 400 naming the parameter', async () => {
    expect(await list('?top=0')).toEqual({
      status: 400,
      body: { error: 'top: expected an integer from 1 to 1000, got "0"' },
    });
  });
});
