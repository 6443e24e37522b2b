import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { instancePagesFor } from './instancePages';
import { listJobs as queryJobs, parseJobQuery } from './jobQuery';

/**
 * `GET /api/jobs?route=&phase=&status=&since=&until=&top=&continuationToken=`: one page of dispatch jobs and
 * the token of the next (`continuationToken` in the body, null on the last page).
 */
export const LIST_JOBS_FUNCTION = 'listJobs';

export async function listJobs(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const parsed = parseJobQuery(request.query, Date.now());
  if (!parsed.ok) return { status: 400, jsonBody: { error: parsed.message } };
  return { status: 200, jsonBody: await queryJobs(instancePagesFor(context), parsed.query) };
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
