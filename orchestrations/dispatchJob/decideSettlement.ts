import { MAX_DEAD_LETTER_DESCRIPTION_LENGTH } from '../../shared/naming/serviceBusLimits';
import type { JobFailureReason } from '../../shared/errors/jobFailureReason';

/**
 * How one attempt of a job ended, and what that means for the event. Pure and deterministic: the orchestrator
 * calls it during replay.
 */

export type AttemptOutcome =
  /** The container terminated (first termination); `exitCode` undefined when ACI reported failure without one. */
  | { kind: 'exited'; exitCode?: number; detail?: string }
  | { kind: 'timed-out'; timeout: string }
  /** Retrying cannot help: image cannot be pulled, invalid request, missing secret. */
  | { kind: 'permanent'; reason: JobFailureReason; message: string }
  /** The job could not be created on any target (transient errors or capacity everywhere). */
  | { kind: 'create-failed'; capacity: boolean; message: string }
  /** The container group vanished or could not be read any more. */
  | { kind: 'lost'; message: string };

export type DeadLetterReason =
  | 'JobFailed'
  | 'JobTimedOut'
  | 'NonRetryableExitCode'
  | 'ImagePullFailed'
  | 'PermanentError'
  /** The event cannot be handed to the job (e.g. too big for an environment variable). */
  | 'InvalidEvent'
  | 'CreateFailed'
  | 'CapacityExhausted'
  | 'JobLost';

export type SettlementDecision =
  | { action: 'complete'; exitCode: 0 }
  | { action: 'requeue'; lastError: string; exitCode?: number }
  | { action: 'dead-letter'; reason: DeadLetterReason; summary: string; exitCode?: number };

export interface SettlementContext {
  attempt: number;
  maxAttempts: number;
  nonRetryableExitCodes: readonly number[];
}

export function decideSettlement(outcome: AttemptOutcome, ctx: SettlementContext): SettlementDecision {
  const attemptsLeft = ctx.attempt < ctx.maxAttempts;
  const retryOrDeadLetter = (
    reason: DeadLetterReason,
    summary: string,
    exitCode?: number,
  ): SettlementDecision => {
    const code = exitCode !== undefined ? { exitCode } : {};
    return attemptsLeft
      ? { action: 'requeue', lastError: `${reason}: ${summary}`, ...code }
      : {
          action: 'dead-letter',
          reason,
          summary: `${summary}; no attempts left (${ctx.attempt}/${ctx.maxAttempts})`,
          ...code,
        };
  };
  switch (outcome.kind) {
    case 'exited': {
      const { exitCode } = outcome;
      if (exitCode === 0) return { action: 'complete', exitCode: 0 };
      if (exitCode !== undefined && ctx.nonRetryableExitCodes.includes(exitCode)) {
        return {
          action: 'dead-letter',
          reason: 'NonRetryableExitCode',
          summary: `container exited with code ${exitCode}, which the route lists as non-retryable`,
          exitCode,
        };
      }
      const what =
        exitCode === undefined
          ? `container failed without an exit code${outcome.detail ? ` (${outcome.detail})` : ''}`
          : `container exited with code ${exitCode}`;
      return retryOrDeadLetter('JobFailed', what, exitCode);
    }
    case 'timed-out':
      return retryOrDeadLetter(
        'JobTimedOut',
        `job did not finish within ${outcome.timeout}; it was stopped and deleted`,
      );
    case 'permanent':
      return { action: 'dead-letter', reason: outcome.reason, summary: outcome.message };
    case 'create-failed':
      return retryOrDeadLetter(outcome.capacity ? 'CapacityExhausted' : 'CreateFailed', outcome.message);
    case 'lost':
      return retryOrDeadLetter('JobLost', outcome.message);
  }
}

/** Service Bus keeps the description in an application property: keep it bounded. */
export const MAX_DESCRIPTION_LENGTH = MAX_DEAD_LETTER_DESCRIPTION_LENGTH;

/**
 * The dead-letter description: what happened, then the tail of the job's log, clipped from the front so the
 * last lines (usually the error) survive.
 */
export function deadLetterDescription(header: string, logTail: string): string {
  const head =
    header.length > MAX_DESCRIPTION_LENGTH - 200
      ? `${header.slice(0, MAX_DESCRIPTION_LENGTH - 201)}…`
      : header;
  const trimmed = logTail.trimEnd();
  if (trimmed === '') return head;
  const prefix = `${head}\nLog tail:\n`;
  const room = MAX_DESCRIPTION_LENGTH - prefix.length;
  const tail = trimmed.length <= room ? trimmed : `…${trimmed.slice(trimmed.length - room + 1)}`;
  return `${prefix}${tail}`;
}
