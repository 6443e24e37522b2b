import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import { eventQueryFromRequest, fromSource } from '../status/eventQueryFromRequest';
import type { RouteRef } from '../status/jobStatus';
import { cancelEventJobs, cancelHttpStatus, type CancelClient } from './cancelEventJobs';

/**
 * `POST /api/events/{eventId}/cancel[?source=<source>]` (function key), optional body `{ "by": "who and why" }`:
 * stops every running attempt of the event and settles it as Cancelled (dead-lettered with reason `Cancelled`).
 * CloudEvents ids are unique only within a source: with `source` only that event is cancelled, without it every
 * source that used the id (each result names its source), as `GET /api/events/{eventId}` answers.
 * 202 while attempts are being stopped, 200 when it was cancelled already, 409 (with the state) when every
 * attempt had settled otherwise, 404 for an event with no jobs.
 */
export const CANCEL_EVENT_FUNCTION = 'cancelEvent';

const MAX_BY_LENGTH = 200;

async function readBy(request: HttpRequest): Promise<string | { error: string }> {
  const text = await request.text();
  if (text.trim() === '') return 'POST /api/events/{eventId}/cancel';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { error: `body: expected JSON like {"by": "..."}: ${(err as Error).message}` };
  }
  const by = (body as { by?: unknown } | null)?.by;
  if (typeof by !== 'string' || by.trim() === '' || by.length > MAX_BY_LENGTH)
    return { error: `body.by: expected a non-empty string of at most ${MAX_BY_LENGTH} characters` };
  return by;
}

export function createCancelEvent(
  routes: readonly RouteRef[],
  ledger?: EventLedger,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const query = eventQueryFromRequest(request);
    if ('invalid' in query) return query.invalid;
    const by = await readBy(request);
    if (typeof by !== 'string') return { status: 400, jsonBody: by };
    const client = df.getClient(context) as unknown as CancelClient;
    const result = await cancelEventJobs(client, routes, query, { by }, ledger);
    const status = cancelHttpStatus(result);
    if (status === 404)
      return {
        status,
        jsonBody: { error: `no jobs for event '${query.id}'${fromSource(query)}`, eventId: query.id },
      };
    context.log(
      `cancel of event ${query.id}${fromSource(query)} by ${by}: ${result.routes.map((r) => `${r.instanceId} ${r.state}`).join(', ')}`,
    );
    return { status, jsonBody: result };
  };
}

export function registerCancelEvent(routes: readonly RouteRef[], ledger?: EventLedger): void {
  app.http(CANCEL_EVENT_FUNCTION, {
    methods: ['POST'],
    authLevel: 'function',
    route: 'events/{eventId}/cancel',
    extraInputs: [df.input.durableClient()],
    handler: createCancelEvent(routes, ledger),
  });
}
