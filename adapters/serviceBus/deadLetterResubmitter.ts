import type { ResubmitReport } from './deadLetters/buildResubmission';

/** Sends one dead letter back to the dispatch queue (signed resubmission marks) and removes it. */
export interface DeadLetterResubmitter {
  /**
   * Resubmits the dead letter with this sequence number: a new generation from attempt 1, or with
   * `keepAttempts` the next attempt of the same generation. Undefined when the dead-letter queue has no
   * such message (or another resubmit or purge holds its lock right now).
   */
  resubmit(sequenceNumber: string, options: { keepAttempts: boolean }): Promise<ResubmitReport | undefined>;
  close(): Promise<void>;
}
