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
  | { kind: 'lost'; message: string }
  /** An operator cancelled the event; `by` says who, when they said. */
  | { kind: 'cancelled'; by?: string }

  /** Admission: no capacity within the route's capacityWait (waiting is not an attempt: dead-lettered at once). */
  | { kind: 'capacity-wait-expired'; waitedMs: number; capacityWait: string; target: string };

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
  | 'JobLost'
  | 'Cancelled';

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
    case 'cancelled':
      // Dead-lettered, not completed: the event is kept where an operator can read and resubmit it.
      return {
        action: 'dead-letter',
        reason: 'Cancelled',
        summary: `cancelled by an operator${outcome.by ? ` (${outcome.by})` : ''}; the job was stopped and deleted`,
      };
    case 'capacity-wait-expired':
      return {
        action: 'dead-letter',
        reason: 'CapacityExhausted',
        summary: `waited ${describeWait(outcome.waitedMs)} for capacity on ${outcome.target} (policy.capacityWait ${outcome.capacityWait}); no container group was created`,
      };
  }
}

/** `6 h 0 min`, `12 min 30 s`, `45 s`: how long an attempt waited, for people. */
export function describeWait(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
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

/**
 * The part of a description before its log tail, on one line (lines joined by `separator`): what a one-line log
 * entry shows of a dead-letter (the log tail stays in the message's properties and the status API).
 */
export function descriptionSummary(description: string, separator: string): string {
  return (description.split('\nLog tail:')[0] ?? '').replace(/\s*\n\s*/g, separator);
}
