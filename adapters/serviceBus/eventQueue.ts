/**
 * The contract for messages the dispatcher itself sends back to its queue (docs/architecture.md, "Contracts").
 * The Service Bus implementation lives beside this file; orchestration tests may use it against the emulator.
 */

/** Application property names, lower-case and hyphenated because the Functions host camel-cases others. */
export const DispatchProperty = {
  route: 'dispatch-route',
  attempt: 'dispatch-attempt',
  deadLetterReason: 'dispatch-dead-letter-reason',
  deadLetterDescription: 'dispatch-dead-letter-description',
  lastError: 'dispatch-last-error',
} as const;

/** A copy of the event for one route's next attempt, scheduled at `scheduledEnqueueTime`. */
export interface RequeueRequest {
  /** The original message body (the CloudEvent JSON), resent unchanged. */
  body: string;
  eventId: string;
  route: string;
  /** The attempt number the copy is FOR (2 after the first failure). */
  attempt: number;
  lastError: string;
  scheduledEnqueueTime: Date;
}

/** A marked copy that the trigger rejects until Service Bus dead-letters it (classic settlement mode). */
export interface DeadLetterCopyRequest {
  body: string;
  /** Absent when the body was not even a valid event (poison). */
  eventId?: string;
  route?: string;
  attempt?: number;
  reason: string;
  description: string;
  /** Deterministic MessageId so a duplicate send is removed by duplicate detection. */
  messageId: string;
}

export interface EventQueue {
  /** Sends the scheduled copy with MessageId `<eventId>:<route>:<attempt>`; a repeat is a no-op for the broker. */
  requeue(request: RequeueRequest): Promise<void>;
  sendDeadLetterCopy(request: DeadLetterCopyRequest): Promise<void>;
  close(): Promise<void>;
}
