import type { EventMessage } from './parseEventMessage';

/** The parts of a ServiceBusReceivedMessage (as @azure/functions-extensions-servicebus builds it) read here. */
export interface ReceivedServiceBusMessage {
  body: unknown;
  contentType?: string;
  applicationProperties?: Readonly<Record<string, unknown>>;
  /** The AMQP message as rhea decoded it; a data section's body is `{ typecode: 0x75, content: Buffer }`. */
  _rawAmqpMessage?: { body?: unknown };
}

/** AMQP 1.0 section descriptor of `data` (binary application data). */
const DATA_SECTION = 0x75;

/**
 * What parseEventMessage needs from a received message. The body is taken from the raw AMQP data section
 * when there is one: the extension's `body` is that section decoded with Buffer#toString('utf8'), which
 * replaces invalid UTF-8 with U+FFFD and so hides exactly what must be rejected. Other bodies (AMQP value
 * sections) are used as the extension decoded them.
 */
export function eventMessageFromServiceBus(message: ReceivedServiceBusMessage): EventMessage {
  const raw = message._rawAmqpMessage?.body as { typecode?: unknown; content?: unknown } | undefined;
  const bytes =
    typeof raw === 'object' &&
    raw !== null &&
    raw.typecode === DATA_SECTION &&
    raw.content instanceof Uint8Array
      ? raw.content
      : undefined;
  return {
    body: bytes ?? message.body,
    ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
    ...(message.applicationProperties !== undefined
      ? { applicationProperties: message.applicationProperties }
      : {}),
  };
}
