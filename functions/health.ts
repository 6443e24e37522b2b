import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

/** `GET /api/health`: 200 `{ status: "ok" }` once the app is loaded and its Durable backend answers. */
export const HEALTH_FUNCTION = 'health';

export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    // A query that matches nothing: proves the task hub answers without listing it.
    await df
      .getClient(context)
      .getStatusBy({ createdTimeFrom: new Date(Date.now() + 60_000), runtimeStatus: [] });
    return { status: 200, jsonBody: { status: 'ok' } };
  } catch (err) {
    context.warn(`health: durable backend unavailable: ${err instanceof Error ? err.message : String(err)}`);
    return { status: 503, jsonBody: { status: 'unavailable', reason: 'durable task hub did not answer' } };
  }
}

export function registerHealth(): void {
  app.http(HEALTH_FUNCTION, {
    methods: ['GET'],
    authLevel: 'function',
    route: 'health',
    extraInputs: [df.input.durableClient()],
    handler: health,
  });
}
