import { HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import { DurableEngine, createInvocationContextWithDurableClient } from '../../devhost/durable';
import { health } from '../../functions/health';

const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' });

describe('GET /api/health', () => {
  it('answers 200 { status: "ok" } while the durable task hub answers, 503 once it does not', async () => {
    const engine = new DurableEngine({ taskHubName: 'healthtest' });
    await engine.start();
    const context = createInvocationContextWithDurableClient(engine, {
      options: { extraInputs: [df.input.durableClient()] },
    });
    try {
      expect(await health(request, context)).toEqual({ status: 200, jsonBody: { status: 'ok' } });
    } finally {
      await engine.stop();
    }
    const response = await health(request, context);
    expect(response.status).toBe(503);
    expect(response.jsonBody).toEqual({ status: 'unavailable', reason: 'durable task hub did not answer' });
  });
});
