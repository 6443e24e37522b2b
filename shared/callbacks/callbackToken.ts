import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Job callback tokens. A token is an HMAC over (instance id, attempt latest deadline) under a key derived from the app's
 * signing key, so nothing secret is ever stored: the create activity derives it for the job's environment, the
 * callback endpoint derives it again to compare. The instance id names the attempt (`...-a<attempt>`), so a token
 * is good for exactly one (instance, attempt) and expires with the attempt's deadline.
 */

/** Versioned, so a future format can be told apart from this one. */
const TOKEN_PREFIX = 'dcb1.';
/** Domain separation: the same app key may sign other things (requeue properties) without any token colliding. */
const KEY_PURPOSE = 'dispatcher/job-callback/v1';

export type CallbackKey = Buffer & { readonly __callbackKey: unique symbol };

/** The callback key, derived from the app's signing key (DISPATCH_SIGNING_KEY). */
export function callbackKeyFrom(signingKey: Buffer): CallbackKey {
  return createHmac('sha256', signingKey).update(KEY_PURPOSE).digest() as CallbackKey;
}

/** The token the job of `instanceId` presents; `deadline` is the attempt's ISO-8601 latest deadline (customStatus `latestDeadline`). */
export function callbackToken(key: CallbackKey, instanceId: string, deadline: string): string {
  const mac = createHmac('sha256', key).update(`${instanceId}\n${deadline}`).digest('base64url');
  return `${TOKEN_PREFIX}${mac}`;
}

/** Constant-time comparison of a presented token with the one derived for (instance, deadline). */
export function callbackTokenMatches(
  key: CallbackKey,
  instanceId: string,
  deadline: string,
  presented: string,
): boolean {
  const expected = Buffer.from(callbackToken(key, instanceId, deadline), 'utf8');
  const given = Buffer.from(presented, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
