import type { EventLedger } from '../../adapters/ledger/eventLedger';
import { messageIdText } from '../../shared/naming/messageIdText';
import { recordTriggerOutcome } from './recordTriggerOutcome';
import { bodyAsText, type DispatchResult, type InboundMessage } from './dispatchMessage';

/**
 * Records the trigger's decision for one delivery in the event ledger. A marked copy (the dispatcher's own
 * dead-letter copy, rejected until Service Bus dead-letters it) is not a new delivery of the event: its
 * attempt's outcome is in the ledger already.
 */
export async function recordDispatchResult(
  ledger: EventLedger,
  message: InboundMessage,
  result: DispatchResult,
  receivedAt: Date,
): Promise<void> {
  if (result.kind === 'marked') return;
  const common = {
    ...(messageIdText(message.messageId) !== undefined
      ? { messageId: messageIdText(message.messageId) }
      : {}),
    receivedAt: receivedAt.toISOString(),
    ...(result.event ? { event: result.event } : {}),
  };
  if (result.kind === 'dispatched') {
    await recordTriggerOutcome(ledger, {
      ...common,
      result: { kind: 'dispatched', instances: result.instances },
    });
    return;
  }
  await recordTriggerOutcome(ledger, {
    ...common,
    bodyText: bodyAsText(message.body),
    result: { kind: 'rejected', reason: result.reason, description: result.description },
  });
}
