import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { CALLBACK_ROUTE } from '../../shared/callbacks/callbackRoute';
import type { CallbackKey } from '../../shared/callbacks/callbackToken';
import { acceptCallback } from './acceptCallback';

/** `POST /api/callbacks/{instanceId}` with `Authorization: Bearer <DISPATCH_CALLBACK_TOKEN>`: the job is done. */
export const JOB_CALLBACK_FUNCTION = 'jobCallback';

export function createJobCallback(
  key: CallbackKey,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const instanceId = request.params.instanceId ?? '';
    const answer = await acceptCallback(
      df.getClient(context),
      key,
      { instanceId, authorization: request.headers.get('authorization'), body: await request.text() },
      new Date(),
    );
    // Never the token: only the instance and what was decided.
    context.log(`callback for ${instanceId}: ${answer.status}`);
    return { status: answer.status, jsonBody: answer.body };
  };
}

/**
 * Anonymous at the Functions level on purpose: the per-attempt token is the credential. A function key would be
 * one long-lived app-wide secret handed to every job image, and the app cannot read its own keys without ARM
 * rights it does not otherwise need (docs/routes.md, "Job callbacks").
 */
export function registerJobCallback(key: CallbackKey): void {
  app.http(JOB_CALLBACK_FUNCTION, {
    methods: ['POST'],
    authLevel: 'anonymous',
    route: CALLBACK_ROUTE,
    extraInputs: [df.input.durableClient()],
    handler: createJobCallback(key),
  });
}
