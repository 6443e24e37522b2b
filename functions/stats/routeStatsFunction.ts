import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import { instancePagesFor } from '../status/instancePages';
import { gatherCounts } from './countSources';
import { computeRouteStats } from './routeStats';

/** `GET /api/stats?since=<ISO-8601>`: per-route counts (`dispatcher stats`). */
export const ROUTE_STATS_FUNCTION = 'routeStats';

export function registerRouteStats(routes: readonly string[], ledger: EventLedger | undefined): void {
  app.http(ROUTE_STATS_FUNCTION, {
    methods: ['GET'],
    authLevel: 'function',
    route: 'stats',
    extraInputs: [df.input.durableClient()],
    handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
      const sinceText = request.query.get('since');
      const since = sinceText ? new Date(sinceText) : undefined;
      if (since !== undefined && Number.isNaN(since.getTime())) {
        return { status: 400, jsonBody: { error: `since: expected an ISO-8601 time, got "${sinceText}"` } };
      }
      const sources = await gatherCounts(instancePagesFor(context), routes, ledger, since);
      return { status: 200, jsonBody: { routes: computeRouteStats(sources, routes) } };
    },
  });
}
