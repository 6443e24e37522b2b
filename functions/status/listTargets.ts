import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { AdmissionSettings } from '../../shared/config/admissionSettings';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import { describeTargets } from './targetStatus';

/** `GET /api/targets`: capacity admission per target (in use, waiting, limit). */
export const LIST_TARGETS_FUNCTION = 'listTargets';

export function registerListTargets(routes: readonly ResolvedRoute[], settings: AdmissionSettings): void {
  app.http(LIST_TARGETS_FUNCTION, {
    methods: ['GET'],
    authLevel: 'function',
    route: 'targets',
    extraInputs: [df.input.durableClient()],
    handler: async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => ({
      status: 200,
      jsonBody: await describeTargets(df.getClient(context), routes, settings),
    }),
  });
}
