import type { JobTarget } from '../../adapters/aci/jobProvider';
import type { OriginalMessage } from '../../adapters/serviceBus/originalMessage';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';

/** Name of the orchestrator the trigger starts (registered in orchestrations/dispatchJob/). */
export const DISPATCH_JOB_ORCHESTRATOR = 'dispatchJob';

/** The orchestration input: everything it needs, so it never reads settings or the routes file. */
export interface DispatchJobInput {
  /** Snapshot of the route when the attempt started. */
  route: ResolvedRoute;
  event: { id: string; type: string; source: string; subject?: string };
  /** The CloudEvent JSON as received: given to the job and resent on requeue. */
  eventJson: string;
  /** 1-based. */
  attempt: number;
  /** Resubmission generation (`dispatch-resubmission`); absent for the original delivery. */
  resubmission?: number;
  /** DISPATCH_POLLS_PER_EXECUTION: polls per execution before continueAsNew. */
  pollsPerExecution: number;
  /** DISPATCH_ADMISSION: wait for a capacity slot before creating the job (docs/admission.md). */
  admission?: boolean;
  /** Only present after continueAsNew: the job exists and is being watched. */
  watch?: WatchState;
  /** The producer's message (MessageId, CorrelationId, ...): the attempt's copies keep its envelope. */
  original?: OriginalMessage;
  /**
   * Set when an operator cancelled the event while this attempt's requeued copy was still scheduled: the
   * attempt never creates a job; it only settles the event as Cancelled (see functions/cancel).
   */
  cancelled?: CancelRequest;
}

/** The payload of the `cancel` external event, and of an attempt started already cancelled. */
export interface CancelRequest {
  /** Who or what asked, for the dead-letter description (free text, bounded by the caller). */
  by?: string;
}

/** The external event an operator's cancel raises to a running attempt. */
export const CANCEL_EVENT = 'cancel';

export interface WatchState {
  target: JobTarget;
  /** ISO-8601; the job's deadline, fixed when its create succeeded, carried across executions. */
  deadline: string;
  /** ISO-8601; the attempt's latest deadline (DispatchJobStatus.latestDeadline), carried across executions. */
  latestDeadline?: string;
  /** Polls so far over the whole attempt (drives the growing interval). */
  polls: number;
  /** 1 for the first execution, +1 per continueAsNew. */
  execution: number;
  /** Whether an existing container group of that name was reused at creation. */
  reused: boolean;
  /** Callback routes: what the job's callback said, once it came (carried across continueAsNew). */
  callback?: { receivedAt: string; output?: unknown; atPoll?: number };
  /** ISO-8601: when the running job's log was last archived (see LOG_SNAPSHOT_EVERY_MS). */
  logSnapshotAt?: string;
  /** The admission slot the job holds (released after its group is deleted). */
  slot?: HeldSlot;
}

/** A granted admission slot: the ticket identifies it to the coordinator. */
export interface HeldSlot {
  ticket: number;
}
