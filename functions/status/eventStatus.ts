import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { findEventJobs, type RouteRef } from './jobStatus';

/**
 * `GET /api/events/{eventId}?source=<source>`: every job (one per route, generation and attempt) the event
 * started; 404 when none. Without `source`, answered when one source used that id, 409 (with the sources) when
 * several did: CloudEvents ids are unique only within a source.
 */
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
    const source = request.query.get('source') ?? undefined;
    if (source === '')
      return {
        status: 400,
        jsonBody: { error: 'source: expected the CloudEvent source, or no source parameter' },
      };
    const found = await findEventJobs(df.getClient(context), routes, {
      id: eventId,
      ...(source ? { source } : {}),
    });
    if (found.kind === 'ambiguous') {
      return {
        status: 409,
        jsonBody: {
          error: `event id '${eventId}' was used by ${found.sources.length} sources; ask with ?source=<source>`,
          eventId,
          sources: found.sources,
        },
      };
    }
    if (found.kind === 'none') {
      const which = source !== undefined ? ` from source '${source}'` : '';
      return { status: 404, jsonBody: { error: `no jobs for event '${eventId}'${which}`, eventId } };
    }
    return { status: 200, jsonBody: { eventId, source: found.source, jobs: found.jobs } };
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
