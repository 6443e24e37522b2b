/** One message in the dispatch queue's dead-letter queue, as an operator reads it. */
export interface DeadLetterEntry {
  sequenceNumber: string;
  messageId: string | null;
  /** The CloudEvent id and type when the body is an event (a poison body has neither). */
  eventId: string | null;
  eventType: string | null;
  route: string | null;
  attempt: number | null;
  /** The dispatcher's reason (`dispatch-dead-letter-reason`, classic mode) or Service Bus's DeadLetterReason. */
  reason: string | null;
  description: string | null;
  /** ISO-8601: when the message was enqueued. */
  enqueuedTime: string | null;
}

/** Reads (peeks, never receives) the dead-letter queue, so looking never changes what is there. */
export interface DeadLetterReader {
  peek(maxCount: number): Promise<DeadLetterEntry[]>;
  close(): Promise<void>;
}
