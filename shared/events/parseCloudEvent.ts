import type { ParsedEvent } from './cloudEvent';
import type { EventLimits } from './eventLimits';
import { parseEventMessage } from './parseEventMessage';

export { validateCloudEvent } from './validateCloudEvent';

/** DISPATCH_MAX_EVENT_BYTES and the nesting limit (see EventLimits). */
export type ParseCloudEventOptions = EventLimits;

/**
 * Validates a Service Bus message body as a CloudEvents 1.0 structured JSON event.
 *
 * The Functions host hands a Node function the body already JSON-parsed when it is valid JSON, a string
 * otherwise, and bytes for binary bodies: all three are accepted. This is parseEventMessage without a content
 * type or application properties; callers that have those (binary mode, UTF-8 bytes from the SDK binding)
 * should call parseEventMessage directly.
 */
export function parseCloudEvent(body: unknown, options: ParseCloudEventOptions): ParsedEvent {
  return parseEventMessage({ body }, options);
}
