import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { messageIdText } from '../../../shared/naming/messageIdText';
import { DispatchProperty } from '../../../shared/signing/dispatchProperty';
import {
  POISON_IDENTITY,
  type DispatchMarks,
  type DispatchSigner,
  type EventIdentity,
} from '../../../shared/signing/dispatchSigner';

/** What an operator needs to know about one dead letter (`dispatcher dlq list|show`). */
export interface DeadLetterView {
  sequenceNumber: string;
  messageId: string | null;
  /** The MessageId of the message the producer sent (classic mode keeps it on the copy). */
  originalMessageId: string | null;
  enqueuedTime: string | null;
  /** The dispatcher's reason (`dispatch-dead-letter-reason`, or Service Bus's DeadLetterReason in sdk mode). */
  reason: string;
  description: string;
  eventId: string | null;
  source: string | null;
  type: string | null;
  route: string | null;
  attempt: number | null;
  resubmission: number;
  /** Whether the dispatch-* marks verified with the app's key (`unknown` without a key). */
  marks: 'signed' | 'untrusted' | 'none' | 'unknown';
  correlationId: string | null;
  subject: string | null;
  contentType: string | null;
  deliveryCount: number | null;
  /** The producer's own application properties (the dispatch-* ones are shown above). */
  properties: Record<string, unknown>;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function lowerCased(props: Readonly<Record<string, unknown>> | undefined): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (const [name, value] of Object.entries(props ?? {})) map.set(name.toLowerCase(), value);
  return map;
}

/** The CloudEvent identity of a body, when it is one (a dead letter may be anything, e.g. `InvalidEvent`). */
export function bodyIdentity(body: unknown): (EventIdentity & { type?: string }) | undefined {
  let value: unknown = body;
  try {
    if (Buffer.isBuffer(body) || body instanceof Uint8Array)
      value = JSON.parse(Buffer.from(body).toString('utf8'));
    else if (typeof body === 'string') value = JSON.parse(body);
  } catch {
    return undefined;
  }
  const event = value as { id?: unknown; source?: unknown; type?: unknown } | null;
  if (
    typeof event?.id !== 'string' ||
    typeof event.source !== 'string' ||
    event.id === '' ||
    event.source === ''
  )
    return undefined;
  return {
    id: event.id,
    source: event.source,
    ...(typeof event.type === 'string' ? { type: event.type } : {}),
  };
}

/** Reads a dead letter; the marks are trusted only when they verify with the app's key. */
export function toDeadLetterView(
  message: ServiceBusReceivedMessage,
  signer?: DispatchSigner,
): DeadLetterView {
  const props = lowerCased(message.applicationProperties);
  const identity = bodyIdentity(message.body);
  let marks: DispatchMarks = {};
  let trust: DeadLetterView['marks'] = 'unknown';
  if (signer) {
    const reading = signer.read(identity ?? POISON_IDENTITY, message.applicationProperties ?? {});
    trust = reading.kind;
    if (reading.kind === 'signed') marks = reading.marks;
  }
  const unverifiedNumber = (name: string): number | null => {
    const n = Number(props.get(name));
    return Number.isInteger(n) && n > 0 ? n : null;
  };
  const properties: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(message.applicationProperties ?? {}))
    if (!name.toLowerCase().startsWith('dispatch-')) properties[name] = value;
  return {
    sequenceNumber: message.sequenceNumber?.toString() ?? '',
    messageId: messageIdText(message.messageId) ?? null,
    originalMessageId: text(props.get(DispatchProperty.originalMessageId)),
    enqueuedTime: message.enqueuedTimeUtc?.toISOString() ?? null,
    reason:
      marks.deadLetterReason ??
      text(props.get(DispatchProperty.deadLetterReason)) ??
      message.deadLetterReason ??
      '(none)',
    description:
      text(props.get(DispatchProperty.deadLetterDescription)) ?? message.deadLetterErrorDescription ?? '',
    eventId: identity?.id ?? null,
    source: identity?.source ?? null,
    type: identity?.type ?? null,
    route: marks.route ?? text(props.get(DispatchProperty.route)),
    attempt: marks.attempt ?? unverifiedNumber(DispatchProperty.attempt),
    resubmission: marks.resubmission ?? unverifiedNumber(DispatchProperty.resubmission) ?? 0,
    marks: trust,
    correlationId: messageIdText(message.correlationId) ?? null,
    subject: message.subject ?? null,
    contentType: message.contentType ?? null,
    deliveryCount: message.deliveryCount ?? null,
    properties,
  };
}

export interface DeadLetterFilter {
  reason?: string;
  route?: string;
  eventId?: string;
  since?: Date;
}

export function matchesFilter(view: DeadLetterView, filter: DeadLetterFilter): boolean {
  if (filter.reason !== undefined && view.reason.toLowerCase() !== filter.reason.toLowerCase()) return false;
  if (filter.route !== undefined && view.route !== filter.route) return false;
  if (filter.eventId !== undefined && view.eventId !== filter.eventId) return false;
  if (
    filter.since !== undefined &&
    (view.enqueuedTime === null || Date.parse(view.enqueuedTime) < filter.since.getTime())
  )
    return false;
  return true;
}
