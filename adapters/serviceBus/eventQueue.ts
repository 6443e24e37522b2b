/**
 * The contract for messages the dispatcher itself sends back to its queue (docs/architecture.md, "Contracts").
 * The Service Bus implementation lives beside this file; orchestration tests may use it against the emulator.
 * Copies carry signed dispatch-* properties and keyed MessageIds (shared/signing).
 */
import type { EventIdentity } from '../../shared/signing/dispatchSigner';

export { DispatchProperty } from '../../shared/signing/dispatchProperty';

/** A copy of the event for one route's next attempt, scheduled at `scheduledEnqueueTime`. */
export interface RequeueRequest {
  /** The CloudEvent JSON the attempt received, resent unchanged. */
  body: string;
  identity: EventIdentity;
  route: string;
  /** The attempt number the copy is FOR (2 after the first failure). */
  attempt: number;
  /** Resubmission generation the event runs in (0: the original delivery). */
  resubmission?: number;
  lastError: string;
  scheduledEnqueueTime: Date;
}

/** A marked copy that the trigger rejects until Service Bus dead-letters it (classic settlement mode). */
export interface DeadLetterCopyRequest {
  /** The original body: bytes as received when the trigger had them, else the event JSON. */
  body: string | Uint8Array;
  /** Absent when the body was not even a readable event (poison). */
  identity?: EventIdentity;
  route?: string;
  attempt?: number;
  resubmission?: number;
  reason: string;
  description: string;
  /** The rejected message's MessageId as text (shared/naming/messageIdText): names a poison copy. */
  originalMessageId?: string;
  /** The rejected message's content type, kept on the copy. */
  contentType?: string;
  /** A bounded, sanitised subset of the rejected message's application properties (sanitiseProperties). */
  originalProperties?: Readonly<Record<string, string | number | boolean>>;
}

export interface EventQueue {
  /** Sends the scheduled copy under its keyed MessageId; a repeat is dropped by duplicate detection. */
  requeue(request: RequeueRequest): Promise<void>;
  sendDeadLetterCopy(request: DeadLetterCopyRequest): Promise<void>;
  close(): Promise<void>;
}
