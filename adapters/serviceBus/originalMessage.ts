import type { ServiceBusMessage } from '@azure/service-bus';
import { messageIdText } from '../../shared/naming/messageIdText';
import { DISPATCH_PROPERTY_PREFIX, DispatchProperty } from '../../shared/signing/dispatchProperty';

/**
 * What the dispatcher's copies of a message (requeued and dead-letter copies, classic mode) keep of the message
 * the producer sent: its MessageId (as `dispatch-original-message-id`, and named in a dead-letter description),
 * CorrelationId, Subject, ContentType and application properties. Without this a producer cannot find its
 * message in the dead-letter queue: the copy has a MessageId of its own. One owner for the copies' envelope.
 */
export interface OriginalMessage {
  messageId?: string;
  correlationId?: string;
  subject?: string;
  contentType?: string;
  /** The producer's own application properties (never `dispatch-*`), bounded. */
  properties?: Record<string, string | number | boolean>;
}

/** Bounds on what is carried (Service Bus allows 64 KB of properties on a standard message). */
const MAX_PROPERTIES = 32;
const MAX_TEXT = 1024;

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return messageIdText(value);
  return value === '' ? undefined : value.slice(0, MAX_TEXT);
}

/**
 * The original of a received message, from the trigger's metadata (camel-cased by the host). A message that is
 * itself a dispatcher copy names its original in `dispatch-original-message-id`: that id is kept, so every copy
 * along the attempts points at what the producer sent.
 */
export function originalMessageOf(
  metadata: Readonly<Record<string, unknown>>,
  applicationProperties: Readonly<Record<string, unknown>>,
): OriginalMessage {
  const properties: Record<string, string | number | boolean> = {};
  let kept = 0;
  let carriedId: string | undefined;
  for (const [name, value] of Object.entries(applicationProperties)) {
    const lower = name.toLowerCase();
    if (lower === DispatchProperty.originalMessageId) carriedId = text(value);
    if (lower.startsWith(DISPATCH_PROPERTY_PREFIX) || kept >= MAX_PROPERTIES) continue;
    if (typeof value === 'string') properties[name] = value.slice(0, MAX_TEXT);
    else if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))
      properties[name] = value;
    else continue;
    kept++;
  }
  const messageId = carriedId ?? text(metadata.messageId);
  const correlationId = text(metadata.correlationId);
  const subject = text(metadata.subject ?? metadata.label);
  const contentType = text(metadata.contentType);
  return {
    ...(messageId !== undefined ? { messageId } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    ...(kept > 0 ? { properties } : {}),
  };
}

/** A copy with its original's envelope: the dispatcher's own properties win over the producer's. */
export function withOriginal(
  message: ServiceBusMessage,
  original: OriginalMessage | undefined,
): ServiceBusMessage {
  if (!original) return message;
  return {
    ...message,
    ...(original.correlationId !== undefined ? { correlationId: original.correlationId } : {}),
    ...(original.subject !== undefined ? { subject: original.subject } : {}),
    ...(original.contentType !== undefined ? { contentType: original.contentType } : {}),
    applicationProperties: {
      ...original.properties,
      ...(original.messageId !== undefined
        ? { [DispatchProperty.originalMessageId]: original.messageId }
        : {}),
      ...message.applicationProperties,
    },
  };
}

/** A dead-letter description that starts by naming the original MessageId (the end may be cut to fit). */
export function describeWithOriginal(description: string, original: OriginalMessage | undefined): string {
  return original?.messageId !== undefined
    ? `original MessageId ${original.messageId}: ${description}`
    : description;
}
