import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { resolve } from 'node:path';
import { loadSettings } from '../../shared/config/loadSettings';
import { loadRoutes } from '../../shared/routes/loadRoutes';
import { findEventJobs } from './jobStatus';

/** `GET /api/events/{eventId}`: every job (one per route and attempt) the event started; 404 when none. */
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
  const jobs = await findEventJobs(df.getClient(context), routes, eventId);
  if (jobs.length === 0)
    return { status: 404, jsonBody: { error: `no jobs for event '${eventId}'`, eventId } };
  return { status: 200, jsonBody: { eventId, jobs } };
}

app.http(EVENT_STATUS_FUNCTION, {
  methods: ['GET'],
  authLevel: 'function',
  route: 'events/{eventId}',
  extraInputs: [df.input.durableClient()],
  handler: eventStatus,
});
