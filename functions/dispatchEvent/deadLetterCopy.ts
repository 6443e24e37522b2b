import type { DeadLetterCopyRequest } from '../../adapters/serviceBus/eventQueue';
import type { ParsedEvent } from '../../shared/events/cloudEvent';
import { jsonTextOf } from '../../shared/events/jsonTextOf';
import { messageIdText } from '../../shared/naming/messageIdText';
import type { DispatchMarks } from '../../shared/signing/dispatchSigner';
import { copyableProperties } from './copyableProperties';
import type { InboundMessage, RejectionReason } from './dispatchMessage';

/** The dead-letter copy of a rejected message: its original body, a bounded subset of its properties, the reason. */
export function deadLetterCopy(
  message: InboundMessage,
  reason: RejectionReason,
  description: string,
  parsed: ParsedEvent | undefined,
  mark: DispatchMarks | undefined,
): DeadLetterCopyRequest {
  const { properties, dropped } = copyableProperties(message.applicationProperties ?? {});
  const originalMessageId = messageIdText(message.messageId);
  return {
    body: copyBody(message.body, parsed),
    ...(parsed ? { identity: { source: parsed.event.source, id: parsed.event.id } } : {}),
    ...(mark?.route !== undefined ? { route: mark.route, attempt: mark.attempt ?? 1 } : {}),
    ...(mark?.resubmission !== undefined ? { resubmission: mark.resubmission } : {}),
    reason,
    description:
      dropped > 0 ? `${description} (${dropped} of the message's properties not copied)` : description,
    ...(originalMessageId !== undefined ? { originalMessageId } : {}),
    ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
    originalProperties: properties,
    ...(message.original ? { original: message.original } : {}),
  };
}

/**
 * The copy's body: the original bytes or text when the trigger had them (a readable binary-mode event is
 * written in its structured form instead, so the copy stands alone), the JSON text of a body the host parsed.
 */
function copyBody(body: unknown, parsed: ParsedEvent | undefined): string | Uint8Array {
  if (parsed && parsed.mode === 'binary') return parsed.json;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (parsed) return parsed.json;
  if (body === undefined || body === null) return '';
  return jsonTextOf(body);
}
