import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import { gatherCounts } from '../stats/countSources';
import { instancePagesFor } from '../status/instancePages';
import { summarizeJobs } from './summarizeJobs';

/** `GET /api/overview`: attempts counted by route and phase, and the running ones (the dashboard's top panels). */
export const JOBS_OVERVIEW_FUNCTION = 'jobsOverview';

const maxRunning = 200;

export function createJobsOverview(routes: readonly string[], ledger: EventLedger | undefined) {
  return async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const sources = await gatherCounts(instancePagesFor(context), routes, ledger);
    return {
      status: 200,
      jsonBody: { ...summarizeJobs(sources, maxRunning), now: new Date().toISOString() },
    };
  };
}

export function registerJobsOverview(routes: readonly string[], ledger: EventLedger | undefined): void {
  app.http(JOBS_OVERVIEW_FUNCTION, {
    methods: ['GET'],
    authLevel: 'function',
    route: 'overview',
    extraInputs: [df.input.durableClient()],
    handler: createJobsOverview(routes, ledger),
  });
}
