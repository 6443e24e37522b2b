import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { listJobs as queryJobs, parseJobQuery } from './jobStatus';

/** `GET /api/jobs?phase=&route=&top=`: dispatch jobs, newest first. */
export const LIST_JOBS_FUNCTION = 'listJobs';

export async function listJobs(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const parsed = parseJobQuery(request.query);
  if (!parsed.ok) return { status: 400, jsonBody: { error: parsed.message } };
  return { status: 200, jsonBody: { jobs: await queryJobs(df.getClient(context), parsed.query) } };
}

export function registerListJobs(): void {
  app.http(LIST_JOBS_FUNCTION, {
    methods: ['GET'],
    authLevel: 'function',
    route: 'jobs',
    extraInputs: [df.input.durableClient()],
    handler: listJobs,
  });
}
