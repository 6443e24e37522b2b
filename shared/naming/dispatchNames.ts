import { createHash } from 'node:crypto';
import type { EventIdentity } from '../signing/dispatchSigner';
import { containerGroupNameFor } from './containerGroupName';

export { containerGroupNameFor };

/**
 * sha256 hex of the event identity. CloudEvents makes `id` unique only within its `source`, so both are hashed,
 * as a JSON array: `("a:b", "c")` and `("a", "b:c")` hash differently.
 */
export function eventIdentityHash(identity: EventIdentity): string {
  return createHash('sha256')
    .update(JSON.stringify([identity.source, identity.id]), 'utf8')
    .digest('hex');
}

/**
 * Orchestration instance id: `<route>-<first 16 hex of eventIdentityHash>-a<attempt>`; a resubmitted event
 * (generation n >= 1, set by `dispatcher dlq resubmit`) runs as `<route>-<hash>-g<n>-a<attempt>`, so it starts
 * again at attempt 1 while a duplicate delivery of the same generation still finds its instance.
 */
export function instanceIdFor(
  route: string,
  identity: EventIdentity,
  attempt: number,
  resubmission = 0,
): string {
  const generation = resubmission > 0 ? `-g${resubmission}` : '';
  return `${route}-${eventIdentityHash(identity).slice(0, 16)}${generation}-a${attempt}`;
}

/** MessageId of the lifecycle event published when an attempt settled (results topic: no trust decision rides on it). */
export function settledMessageId(
  identity: EventIdentity,
  route: string,
  attempt: number,
  resubmission = 0,
): string {
  const text = JSON.stringify(['settled', identity.source, identity.id, route, attempt, resubmission]);
  return `settled:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
