import type { RouteTally } from './outcomeTally';

/**
 * The event ledger: a durable record of every event the trigger sees and what became of it, so "what
 * happened to event X?" has an answer even when no orchestration ever ran (InvalidEvent, NoRoute).
 * An event is identified by (source, id); `source` is '' when the message was not a readable CloudEvent.
 * Times are ISO-8601 strings.
 */
export interface EventKey {
  eventId: string;
  source: string;
}

/** A delivery the trigger accepted, with the routes it dispatches (a requeued copy names its one route). */
export interface ReceivedEvent extends EventKey {
  type?: string;
  subject?: string;
  messageId?: string;
  receivedAt: string;
  routes: readonly string[];
}

/** A delivery the trigger dead-lettered before any orchestration (`InvalidEvent`, `NoRoute`, ...). */
export interface RejectedEvent extends EventKey {
  type?: string;
  subject?: string;
  messageId?: string;
  receivedAt: string;
  reason: string;
  description: string;
}

export interface AttemptStarted extends EventKey {
  route: string;
  attempt: number;
  /** Resubmission generation; absent or 0 for the original delivery. Each generation's attempts are kept apart. */
  resubmission?: number;
  instanceId: string;
  startedAt: string;
}

export type AttemptOutcome = 'Succeeded' | 'Requeued' | 'DeadLettered' | 'Cancelled';

export interface AttemptSettled extends EventKey {
  route: string;
  attempt: number;
  resubmission?: number;
  instanceId: string;
  outcome: AttemptOutcome;
  settledAt: string;
  reason?: string;
  description?: string;
  exitCode?: number;
  /** Where the attempt's full log was archived (a plain blob URL). */
  logUrl?: string;
  /** Why it could not be archived. */
  logArchiveError?: string;
}

export interface LedgerAttempt {
  route: string;
  attempt: number;
  /** Resubmission generation; absent for the original delivery. */
  resubmission?: number;
  instanceId: string;
  startedAt?: string;
  outcome?: AttemptOutcome;
  settledAt?: string;
  reason?: string;
  description?: string;
  exitCode?: number;
  logUrl?: string;
  logArchiveError?: string;
}

export interface LedgerEvent extends EventKey {
  type?: string;
  subject?: string;
  /** The latest delivery's Service Bus MessageId. */
  messageId?: string;
  firstSeenAt?: string;
  lastSeenAt?: string;
  /** Deliveries the trigger recorded (at-least-once: a redelivered message counts again). */
  deliveries: number;
  /** Every route any delivery of this event was dispatched to. */
  routes: string[];
  /** The latest rejection, when the trigger dead-lettered a delivery of this event. */
  rejection?: { reason: string; description: string; at: string };
  /** Sorted by route, then resubmission generation, then attempt. */
  attempts: LedgerAttempt[];
}

export interface EventLedger {
  recordReceived(event: ReceivedEvent): Promise<void>;
  recordRejected(event: RejectedEvent): Promise<void>;
  /** Idempotent: a duplicate delivery of the same attempt keeps the first record. */
  recordAttemptStarted(attempt: AttemptStarted): Promise<void>;
  /** Idempotent; creates the attempt's record if the start was never recorded. */
  recordAttemptSettled(attempt: AttemptSettled): Promise<void>;
  /** Every event with this id (one per source); [] when it was never seen. */
  findById(eventId: string): Promise<LedgerEvent[]>;
  find(key: EventKey): Promise<LedgerEvent | undefined>;
  /** Attempts started and settled per route, counted once per (instance, attempt) as they were recorded. */
  readTally(routes: readonly string[]): Promise<RouteTally[]>;
}
