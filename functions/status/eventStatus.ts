import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import type { RouteRef } from './jobStatus';
import { eventQueryFromRequest, fromSource } from './eventQueryFromRequest';
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
    const query = eventQueryFromRequest(request);
    if ('invalid' in query) return query.invalid;
    const view = await readEventStatus(df.getClient(context), ledger, routes, query);
    if (!view) {
      const error = `event '${query.id}'${fromSource(query)} was never seen`;
      return { status: 404, jsonBody: { error, eventId: query.id } };
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
