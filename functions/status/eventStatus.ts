import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { findEventJobs, type RouteRef } from './jobStatus';

/** `GET /api/events/{eventId}`: every job (one per route and attempt) the event started; 404 when none. */
export const EVENT_STATUS_FUNCTION = 'eventStatus';

export type EventStatusHandler = (
  request: HttpRequest,
  context: InvocationContext,
) => Promise<HttpResponseInit>;

/** The handler over the app's routes (their names and attempt limits say which instance ids can exist). */
export function createEventStatus(routes: readonly RouteRef[]): EventStatusHandler {
  return async (request, context) => {
    const eventId = request.params.eventId ?? '';
    if (eventId === '')
      return { status: 400, jsonBody: { error: 'eventId: expected the CloudEvent id in the path' } };
    const jobs = await findEventJobs(df.getClient(context), routes, eventId);
    if (jobs.length === 0)
      return { status: 404, jsonBody: { error: `no jobs for event '${eventId}'`, eventId } };
    return { status: 200, jsonBody: { eventId, jobs } };
  };
}

export function registerEventStatus(routes: readonly RouteRef[]): void {
  app.http(EVENT_STATUS_FUNCTION, {
    methods: ['GET'],
    authLevel: 'function',
    route: 'events/{eventId}',
    extraInputs: [df.input.durableClient()],
    handler: createEventStatus(routes),
  });
}
