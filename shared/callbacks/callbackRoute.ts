/** The job callback endpoint's route under the Functions route prefix: `POST /api/callbacks/{instanceId}`. */
export const CALLBACK_ROUTE = 'callbacks/{instanceId}';

/** The largest `output` a callback may carry (its JSON, UTF-8): small enough for history, status and a result event. */
export const MAX_CALLBACK_OUTPUT_BYTES = 64 * 1024;

/** The URL a job of `instanceId` POSTs to (DISPATCH_CALLBACK_URL). */
export function callbackUrlFor(baseUrl: string, instanceId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/callbacks/${encodeURIComponent(instanceId)}`;
}
