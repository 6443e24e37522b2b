import { createHash } from 'node:crypto';
import { containerGroupNameFor } from './containerGroupName';

export { containerGroupNameFor };

import { MAX_MESSAGE_ID_LENGTH } from './serviceBusLimits';

export function eventIdHash(eventId: string): string {
  return createHash('sha256').update(eventId, 'utf8').digest('hex');
}

/** Orchestration instance id: `<route>-<first 16 hex of sha256(eventId)>-a<attempt>`. */
export function instanceIdFor(route: string, eventId: string, attempt: number): string {
  return `${route}-${eventIdHash(eventId).slice(0, 16)}-a${attempt}`;
}

/**
 * MessageId of the copy resent for `attempt` of `route`: `<eventId>:<route>:<attempt>`, so Service Bus
 * duplicate detection drops a second send of the same copy ({@link boundedMessageId}).
 */
export function resendMessageId(eventId: string, route: string, attempt: number): string {
  return boundedMessageId(eventId, `${route}:${attempt}`);
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
  return boundedMessageId(
    eventId,
    route === undefined ? 'dead-letter' : `${route}:${attempt ?? 1}:dead-letter`,
  );
}

/** MessageId of the lifecycle event published when `attempt` of `route` settled. */
export function settledMessageId(eventId: string, route: string, attempt: number): string {
  return boundedMessageId(eventId, `${route}:${attempt}:settled`);
}

/**
 * The one rule for the dispatcher's deterministic MessageIds: `<eventId>:<suffix>`, so duplicate detection drops a
 * second send of the same copy. Event ids long enough to break the 128-character limit are replaced by
 * `sha256:<hex of the event id>` (still deterministic, still distinct per event).
 */
export function boundedMessageId(eventId: string, suffix: string): string {
  const id = `${eventId}:${suffix}`;
  if (id.length <= MAX_MESSAGE_ID_LENGTH) return id;
  return `sha256:${eventIdHash(eventId)}:${suffix}`.slice(0, MAX_MESSAGE_ID_LENGTH);
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
