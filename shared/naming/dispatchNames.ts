import { createHash } from 'node:crypto';
import { containerGroupNameFor } from './containerGroupName';

export { containerGroupNameFor };

/** Service Bus MessageId limit. */
const MAX_MESSAGE_ID = 128;

export function eventIdHash(eventId: string): string {
  return createHash('sha256').update(eventId, 'utf8').digest('hex');
}

/** Orchestration instance id: `<route>-<first 16 hex of sha256(eventId)>-a<attempt>`. */
export function instanceIdFor(route: string, eventId: string, attempt: number): string {
  return `${route}-${eventIdHash(eventId).slice(0, 16)}-a${attempt}`;
}

/**
 * MessageId of the copy resent for `attempt` of `route`: `<eventId>:<route>:<attempt>`, so Service Bus
 * duplicate detection drops a second send of the same copy. Event ids long enough to break the 128-char
 * MessageId limit are replaced by `sha256:<hex>` (still deterministic).
 */
export function resendMessageId(eventId: string, route: string, attempt: number): string {
  const id = `${eventId}:${route}:${attempt}`;
  return id.length <= MAX_MESSAGE_ID
    ? id
    : `sha256:${eventIdHash(eventId)}:${route}:${attempt}`.slice(0, MAX_MESSAGE_ID);
}

/**
 * MessageId of a marked dead-letter copy. It must differ from {@link resendMessageId} of the same attempt:
 * that id belongs to the requeued copy that STARTED the attempt and may still be inside the duplicate
 * detection window, which would silently drop the dead-letter copy.
 */
export function deadLetterMessageId(
  eventId: string,
  route: string | undefined,
  attempt: number | undefined,
): string {
  const base =
    route === undefined ? `${eventId}:dead-letter` : `${eventId}:${route}:${attempt ?? 1}:dead-letter`;
  return base.length <= MAX_MESSAGE_ID
    ? base
    : `sha256:${eventIdHash(eventId)}:${route ?? ''}:${attempt ?? 1}:dead-letter`.slice(0, MAX_MESSAGE_ID);
}

/**
 * MessageId for the dead-letter copy of a body that is not even a valid event (no event id to use). Derived from
 * the original MessageId when there is one, so a redelivery of the same message yields the same copy (dropped by
 * duplicate detection) while two distinct poison messages with equal bodies both reach the dead-letter queue.
 */
export function poisonMessageId(body: string, originalMessageId?: string): string {
  const source =
    originalMessageId !== undefined && originalMessageId !== ''
      ? `message:${originalMessageId}`
      : `body:${body}`;
  return `invalid:${createHash('sha256').update(source, 'utf8').digest('hex')}`;
}
