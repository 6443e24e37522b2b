import { randomBytes } from 'node:crypto';
import { ConfigError } from '../errors/dispatchErrors';
import type { Settings } from '../config/loadSettings';
import type { ResolvedRoute } from '../routes/resolvedRoute';
import { callbackKeyFrom, type CallbackKey } from './callbackToken';

/**
 * The callback key: derived from DISPATCH_SIGNING_KEY. Without one, Azure refuses to start when a route wants
 * callbacks (every instance of the app must agree on the key); locally a random key is used, so tokens do not
 * survive a restart of the app and such jobs are seen by the fallback poll instead.
 */
export function resolveCallbackKey(
  settings: Pick<Settings, 'callbacks' | 'runningInAzure'>,
  routes: readonly Pick<ResolvedRoute, 'name' | 'completion'>[],
): CallbackKey {
  if (settings.callbacks.signingKey) return callbackKeyFrom(settings.callbacks.signingKey);
  const wanting = routes.filter((r) => r.completion === 'callback').map((r) => r.name);
  if (settings.runningInAzure && wanting.length > 0) {
    const issue = `DISPATCH_SIGNING_KEY: required when a route has "completion": "callback" (${wanting.join(', ')})`;
    throw new ConfigError(`invalid settings:\n  ${issue}`, [issue]);
  }
  return callbackKeyFrom(randomBytes(32));
}
