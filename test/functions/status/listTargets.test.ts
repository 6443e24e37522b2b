import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { createInvocationContextWithDurableClient } from '../../../devhost/durable/createInvocationContextWithDurableClient';
import { LIST_TARGETS_FUNCTION } from '../../../functions/status/listTargets';
import type { TargetsView } from '../../../functions/status/targetStatus';
import { DISPATCH_JOB_ORCHESTRATOR } from '../../../orchestrations/dispatchJob/dispatchJobInput';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import {
  startDispatchJobHarness,
  testRoute,
  type DispatchJobHarness,
} from '../../support/dispatchJobHarness';
import { triggerSettings } from '../../support/triggerEnvironment';

const SUB = '00000000-0000-0000-0000-000000000000';
let h: DispatchJobHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function getTargets(harness: DispatchJobHarness): Promise<TargetsView> {
  const fn = harness.registry.get(LIST_TARGETS_FUNCTION)!;
  const context = createInvocationContextWithDurableClient(harness.engine, {
    functionName: fn.name,
    options: { trigger: fn.trigger, extraInputs: fn.extraInputs },
  });
  const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/targets' });
  const response = (await fn.handler(request, context)) as HttpResponseInit;
  expect(response.status).toBe(200);
  return response.jsonBody as TargetsView;
}

describe('GET /api/targets', () => {
  it("shows the routes' targets before anything ran, then in use / waiting / limit during a burst", async () => {
    h = await startDispatchJobHarness({
      settings: triggerSettings({ DISPATCH_ADMISSION_DEFAULT_LIMITS: 'containerGroups=2,cores=8' }),
      scriptFor: () => ({ runMs: 10 * 60_000 }),
    });
    const idle = await getTargets(h);
    expect(idle).toMatchObject({ admission: 'on', inUse: 0, waiting: 0, updatedAt: null });
    expect(idle.targets).toContainEqual(
      expect.objectContaining({ target: `${SUB}/westeurope`, inUse: 0, waiting: 0, limit: 2, coresLimit: 8 }),
    );

    const route = testRoute({ name: 'burst' });
    for (const eventId of ['a', 'b', 'c', 'd', 'e']) {
      const event = { id: eventId, type: 'demo.hello', source: '/t' };
      h.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
        instanceId: instanceIdFor('burst', { source: '/t', id: eventId }, 1),
        input: {
          route,
          event,
          eventJson: JSON.stringify(event),
          attempt: 1,
          pollsPerExecution: 20,
          admission: true,
        },
      });
      await h.clock.advance(1_000);
    }
    const busy = await getTargets(h);
    expect(busy).toMatchObject({ inUse: 2, waiting: 3 });
    expect(busy.targets.find((t) => t.target === `${SUB}/westeurope`)).toMatchObject({
      inUse: 2,
      coresInUse: 2,
      waiting: 3,
      limit: 2,
    });
  });
});
