import { HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import {
  DurableEngine,
  VirtualClock,
  createInvocationContextWithDurableClient,
} from '../../../devhost/durable/index';
import {
  createRegistry,
  installRegistrationCapture,
} from '../../../devhost/registrations/captureRegistrations';
import { listJobs } from '../../../functions/status/listJobs';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';

/*
 * The status API's cost must not grow with the task hub. Work is measured where it is done, in the Durable
 * engine behind the management API (index entries scanned, instances serialised), not in wall time.
 */

let engine: DurableEngine;
// One instance per virtual millisecond: the newest-first order is the creation order, the same in both hubs.
const clock = new VirtualClock();
const since = new Date(clock.now() - 1000).toISOString();
let started = 0;

async function startJobs(count: number): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++, started++) {
    await clock.advance(1);
    const route = started % 2 === 0 ? 'alpha' : 'beta';
    ids.push(
      engine.startNew('fakeJob', {
        instanceId: instanceIdFor(route, `e${started}`, 1),
        input: {
          phase: started % 10 === 1 ? 'DeadLettered' : 'Succeeded',
          route,
          eventId: `e${started}`,
          attempt: 1,
        },
      }),
    );
  }
  await engine.waitForIdle();
  for (const id of ids) await engine.waitForInstance(id);
}

async function firstPageCost(query: string): Promise<{ scanned: number; returned: number; jobs: number }> {
  const before = { ...engine.counters };
  const context = createInvocationContextWithDurableClient(engine, {
    options: { extraInputs: [df.input.durableClient()] },
  });
  const response = await listJobs(
    new HttpRequest({ method: 'GET', url: `http://localhost/api/jobs${query}` }),
    context,
  );
  expect(response.status).toBe(200);
  const body = response.jsonBody as { jobs: unknown[]; continuationToken: string | null };
  expect(body.continuationToken).toEqual(expect.any(String));
  return {
    scanned: engine.counters.queryInstancesScanned - before.queryInstancesScanned,
    returned: engine.counters.queryInstancesReturned - before.queryInstancesReturned,
    jobs: body.jobs.length,
  };
}

beforeAll(async () => {
  const registry = createRegistry();
  const uninstall = installRegistrationCapture(registry);
  df.app.orchestration('fakeJob', function* (context: OrchestrationContext) {
    context.df.setCustomStatus(context.df.getInput());
    yield* [];
    return 'done';
  });
  uninstall();
  engine = new DurableEngine({ taskHubName: 'scaletest', clock });
  engine.registerFromRegistry(registry);
  await engine.start();
});

afterAll(async () => {
  await engine?.stop();
});

it('answers the first page with the same work in a hub of 50 instances and of 5,000', async () => {
  const queries = [
    '?top=20',
    '?top=20&route=beta',
    '?top=10&phase=Succeeded&route=beta',
    `?top=20&since=${since}`,
  ];
  await startJobs(50);
  const small = [];
  for (const q of queries) small.push(await firstPageCost(q));
  await startJobs(4950);
  expect(engine.listInstances()).toHaveLength(5000);
  const large = [];
  for (const q of queries) large.push(await firstPageCost(q));

  expect(large).toEqual(small);
  // A page reads what it returns plus what its filters skip, never the hub.
  expect(small[0]).toEqual({ scanned: 20, returned: 20, jobs: 20 });
  expect(small[1]).toEqual({ scanned: 39, returned: 20, jobs: 20 });
  // Every 5th beta job is a dead letter: the phase filter reads a little more than it shows.
  expect(small[2]).toEqual({ scanned: 23, returned: 12, jobs: 10 });
  expect(small[3]).toEqual({ scanned: 20, returned: 20, jobs: 20 });
}, 120_000);
