import { HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import { DurableEngine, createInvocationContextWithDurableClient } from '../../devhost/durable';
import { health } from '../../functions/health';

const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' });

describe('GET /api/health', () => {
  it('answers 200 { status: "ok" } while the durable task hub answers, 503 once it does not', async () => {
    const engine = new DurableEngine({ taskHubName: 'healthtest' });
    await engine.start();
    const logged: string[] = [];
    const context = createInvocationContextWithDurableClient(engine, {
      options: { extraInputs: [df.input.durableClient()] },
      logHandler: (level, ...args) => logged.push(`${level}: ${args.map(String).join(' ')}`),
    });
    try {
      expect(await health(request, context)).toEqual({ status: 200, jsonBody: { status: 'ok' } });
    } finally {
      await engine.stop();
    }
    const response = await health(request, context);
    expect(response.status).toBe(503);
    expect(response.jsonBody).toEqual({ status: 'unavailable', reason: 'durable task hub did not answer' });
    // The reason goes to the log (as a warning), not to the anonymous caller.
    expect(logged).toEqual([expect.stringMatching(/^warning: health: durable backend unavailable: /)]);
  });
});
