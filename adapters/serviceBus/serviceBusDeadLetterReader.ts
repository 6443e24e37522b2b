import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import Long from 'long';
import type { DeadLetterEntry, DeadLetterReader } from './deadLetterReader';
import { DispatchProperty } from './eventQueue';

/**
 * Peeks the dead-letter sub-queue of the dispatch queue from its start. Classic settlement dead-letters marked
 * copies by MaxDeliveryCount, so the dispatcher's own reason is in the copy's properties; sdk mode sets Service
 * Bus's DeadLetterReason directly. Either way the entry shows the dispatcher's reason first.
 */
export class ServiceBusDeadLetterReader implements DeadLetterReader {
  constructor(
    private readonly client: ServiceBusClient,
    private readonly queueName: string,
  ) {}

  async peek(maxCount: number): Promise<DeadLetterEntry[]> {
    const receiver = this.client.createReceiver(this.queueName, { subQueueType: 'deadLetter' });
    try {
      // From the front every time: the SDK keeps its peek cursor per entity and connection, not per receiver.
      return (await receiver.peekMessages(maxCount, { fromSequenceNumber: Long.ONE })).map(toEntry);
    } finally {
      await receiver.close();
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function toEntry(message: ServiceBusReceivedMessage): DeadLetterEntry {
  const props = message.applicationProperties ?? {};
  const event = parseEvent(message.body);
  const attempt = Number(props[DispatchProperty.attempt]);
  return {
    sequenceNumber: message.sequenceNumber?.toString() ?? '',
    messageId: message.messageId === undefined ? null : String(message.messageId),
    eventId: event?.id ?? null,
    eventType: event?.type ?? null,
    route: str(props[DispatchProperty.route]),
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : null,
    reason: str(props[DispatchProperty.deadLetterReason]) ?? message.deadLetterReason ?? null,
    description:
      str(props[DispatchProperty.deadLetterDescription]) ?? message.deadLetterErrorDescription ?? null,
    enqueuedTime: message.enqueuedTimeUtc?.toISOString() ?? null,
  };
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function parseEvent(body: unknown): { id: string | null; type: string | null } | undefined {
  let value: unknown = body;
  try {
    if (Buffer.isBuffer(body)) value = JSON.parse(body.toString('utf8'));
    else if (typeof body === 'string') value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Record<string, unknown>;
  return { id: str(event.id), type: str(event.type) };
}
