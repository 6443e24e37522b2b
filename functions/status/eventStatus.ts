import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import type { RouteRef } from './jobStatus';
import { readEventStatus } from './readEventStatus';

/**
 * `GET /api/events/{eventId}[?source=<source>]`: what became of the event, from the event ledger and the
 * orchestrations: a rejection (InvalidEvent, NoRoute) at once, or every job (one per route, generation and
 * attempt); 404 only for an id never seen. CloudEvents ids are unique only within a source: without `source`
 * every source that used the id is answered (each job names its source), with it only that event.
 */
export const EVENT_STATUS_FUNCTION = 'eventStatus';

export type EventStatusHandler = (
  request: HttpRequest,
  context: InvocationContext,
) => Promise<HttpResponseInit>;

/**
 * The handler over the event ledger and the app's routes (their names and attempt limits say which instance ids
 * can exist for an event the ledger does not know).
 */
export function createEventStatus(
  routes: readonly RouteRef[],
  ledger: EventLedger | undefined,
): EventStatusHandler {
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
    const query = { id: eventId, ...(source !== undefined ? { source } : {}) };
    const view = await readEventStatus(df.getClient(context), ledger, routes, query);
    if (!view) {
      const which = source !== undefined ? ` from source '${source}'` : '';
      return { status: 404, jsonBody: { error: `event '${eventId}'${which} was never seen`, eventId } };
    }
    return { status: 200, jsonBody: view };
  };
}

export function registerEventStatus(routes: readonly RouteRef[], ledger?: EventLedger): void {
  app.http(EVENT_STATUS_FUNCTION, {
    methods: ['GET'],
    authLevel: 'function',
    route: 'events/{eventId}',
    extraInputs: [df.input.durableClient()],
    handler: createEventStatus(routes, ledger),
  });
}
