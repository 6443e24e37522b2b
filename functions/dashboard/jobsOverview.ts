import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { summarizeJobs } from './summarizeJobs';

/** `GET /api/overview`: attempts counted by route and phase, and the running ones (the dashboard's top panels). */
export const JOBS_OVERVIEW_FUNCTION = 'jobsOverview';

const maxRunning = 200;

export async function jobsOverview(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const instances = await df.getClient(context).getStatusAll();
  return {
    status: 200,
    jsonBody: { ...summarizeJobs(instances, maxRunning), now: new Date().toISOString() },
  };
}

export function registerJobsOverview(): void {
  app.http(JOBS_OVERVIEW_FUNCTION, {
    methods: ['GET'],
    authLevel: 'function',
    route: 'overview',
    extraInputs: [df.input.durableClient()],
    handler: jobsOverview,
  });
}
