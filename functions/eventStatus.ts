import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { resolve } from 'node:path';
import { loadSettings } from '../shared/config/loadSettings';
import { loadRoutes } from '../shared/routes/loadRoutes';
import { getServices } from '../shared/services/getServices';
import { readEventStatus } from '../shared/status/readEventStatus';

/**
 * `GET /api/events/{eventId}`: what became of the event, from the event ledger and the orchestrations: a
 * rejection (InvalidEvent, NoRoute) at once, or every job (one per route and attempt); 404 only for an id never
 * seen.
 */
export const EVENT_STATUS_FUNCTION = 'eventStatus';

const settings = loadSettings();
const routes = loadRoutes(resolve(settings.routesFile)).map((r) => ({
  name: r.name,
  maxAttempts: r.policy.maxAttempts,
}));

export async function eventStatus(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const eventId = request.params.eventId ?? '';
  if (eventId === '')
    return { status: 400, jsonBody: { error: 'eventId: expected the CloudEvent id in the path' } };
  const view = await readEventStatus(df.getClient(context), getServices().ledger, routes, eventId);
  if (!view) return { status: 404, jsonBody: { error: `event '${eventId}' was never seen`, eventId } };
  return { status: 200, jsonBody: view };
}

app.http(EVENT_STATUS_FUNCTION, {
  methods: ['GET'],
  authLevel: 'function',
  route: 'events/{eventId}',
  extraInputs: [df.input.durableClient()],
  handler: eventStatus,
});
