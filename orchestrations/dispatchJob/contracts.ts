import type { CreatedJob, JobStatus, JobTarget } from '../../adapters/aci/jobProvider';
import type { AttemptSettled } from '../../adapters/ledger/eventLedger';
import type { OriginalMessage } from '../../adapters/serviceBus/originalMessage';
import type { JobSettledResult } from '../../adapters/serviceBus/resultPublisher';
import type { ErrorClass } from '../../shared/errors/classifyError';
import type { OutputReport } from '../../shared/jobOutputs/readOutputReport';
import type { JobFailureReason } from '../../shared/errors/jobFailureReason';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import type { AttemptOutcome, DeadLetterReason } from './decideSettlement';
import type { WaitingInfo } from '../admission/acquireSlot';
import type { HeldSlot, WatchState } from './dispatchJobInput';

/*
 * What the orchestrator, its activities and the status API agree on: activity names, activity inputs and results
 * (JSON: they cross the Durable boundary), the customStatus and the orchestration output.
 */

export {
  CANCEL_EVENT,
  DISPATCH_JOB_ORCHESTRATOR,
  type CancelRequest,
  type DispatchJobInput,
  type WatchState,
} from './dispatchJobInput';

export const DispatchJobActivity = {
  createJob: 'dispatchJob_createJob',
  getJobStatus: 'dispatchJob_getJobStatus',
  stopJob: 'dispatchJob_stopJob',
  collectLogs: 'dispatchJob_collectLogs',
  deleteJob: 'dispatchJob_deleteJob',
  requeueEvent: 'dispatchJob_requeueEvent',
  deadLetterEvent: 'dispatchJob_deadLetterEvent',
  publishResult: 'dispatchJob_publishResult',
} as const;

/** The external event the callback endpoint raises when the job reports that it has finished its work. */
export const JOB_CALLBACK_EVENT = 'JobCallback';

/** The callback event's data (JSON up to MAX_CALLBACK_OUTPUT_BYTES in `output`). */
export interface JobCallbackData {
  /** ISO-8601, when the endpoint accepted the callback. */
  receivedAt: string;
  /** The job's result, as it posted it; absent when the body had none. */
  output?: unknown;
}

export type DispatchJobPhase =
  | 'WaitingForCapacity'
  | 'Creating'
  | 'Watching'
  | 'Stopping'
  | 'CollectingLogs'
  | 'Deleting'
  | 'Settling'
  | 'Succeeded'
  | 'Requeued'
  | 'DeadLettered'
  | 'Cancelled';

/** What the portal and the status API show for every instance. */
export interface DispatchJobStatus {
  phase: DispatchJobPhase;
  route: string;
  eventId: string;
  /** With `eventId`, the event's identity (CloudEvents ids are unique only within a source). */
  eventSource: string;
  attempt: number;
  /** Resubmission generation; absent for the original delivery. */
  resubmission?: number;
  maxAttempts: number;
  containerGroup: string;
  exitCode?: number;
  polls: number;
  /** ISO-8601. */
  deadline: string;
  reason?: string;
  /** Where the job runs (primary or fallback), once created. */
  target?: JobTarget;
  execution: number;
  /** Set on callback routes: `waiting` until the job's callback was taken, then `received` (tokens are one-shot). */
  callback?: 'waiting' | 'received';
  /** The archived full log (a plain blob URL), once collected. */
  logUrl?: string;
  /** Why the log could not be archived (settling went on without it). */
  logArchiveError?: string;
  /** With admission: what the attempt waits for (phase WaitingForCapacity) or waited for. */
  admission?: WaitingInfo & { grantedAt?: string };
}

/** The orchestration output. */
export interface DispatchJobSettlement {
  outcome: 'Succeeded' | 'Requeued' | 'DeadLettered' | 'Cancelled';
  route: string;
  eventId: string;
  eventSource: string;
  attempt: number;
  resubmission?: number;
  containerGroup: string;
  exitCode?: number;
  reason?: DeadLetterReason;
  /** Dead-letter description or the requeued copy's last error. */
  description?: string;
  nextAttempt?: number;
  /** ISO-8601, for a requeue. */
  scheduledEnqueueTime?: string;
  polls: number;
  /** The job's log tail collected before its group was deleted (what the status API and dashboard show). */
  logTail?: string;
  /** What the job reported in its callback (`output`) or, failing that, in its output file. */
  output?: unknown;
  /** Routes with `job.outputFile`, when neither gave an output: why the file gave none. */
  outputError?: string;
  /** ISO-8601, when the job's callback was accepted (callback routes). */
  callbackAt?: string;
  /** The attempt's archived full log. */
  logUrl?: string;
}

export interface CreateJobInput {
  name: string;
  instanceId: string;
  route: string;
  eventId: string;
  attempt: number;
  job: ResolvedRoute['job'];
  eventJson: string;
  target: JobTarget;
  /** ISO-8601: the attempt's deadline (a claim-check URL expires with it). */
  deadline: string;
  /** Callback routes: the attempt's deadline, from which the activity derives the token (nothing secret here). */
  callback?: { deadline: string };
  /**
   * How long the attempt waited for a capacity slot before this create (the admission step sets it when its
   * wait ends, i.e. at the grant). The activity records it with the capacity-wait metric once the create
   * succeeds, so the replayed orchestrator never records it.
   */
  capacityWaitMs?: number;
}

/** An expected failure, returned (not thrown) so the orchestrator decides without parsing messages. */
export type ActivityFailure = {
  ok: false;
  class: ErrorClass;
  message: string;
  code?: string;
  retryAfterMs?: number;
  /** Set for a permanent failure whose cause the provider typed (e.g. ImagePullFailed). */
  reason?: JobFailureReason;
};
export type CreateJobResult = { ok: true; created: CreatedJob } | ActivityFailure;
export type JobStatusResult = { ok: true; status: JobStatus } | ActivityFailure;

export interface JobRef {
  name: string;
  target: JobTarget;
  /** Set by the watch loop, so the status activity can attribute its metrics. */
  route?: string;
}

/** What the settlement metrics need (recorded by the publishResult activity, never by the orchestrator). */
export interface SettlementUsage {
  /** The dead-letter reason, or for a requeue the reason part of the last error (e.g. JobFailed). */
  reason?: string;
  durationMs: number;
  groupLifetimeMs: number;
  cpu: number;
  memoryInGB: number;
}

/** A status read; after a callback, `awaitExitMs` lets the activity re-check briefly while the container stops. */
export type JobStatusRequest = JobRef & { awaitExitMs?: number };
/** Which attempt's log to collect, and where to archive it. */
export interface CollectLogsInput extends JobRef {
  tailLines: number;
  route: string;
  eventId: string;
  attempt: number;
  /** A snapshot of a running job: archive only (nothing to do without an archive). */
  snapshot?: boolean;
  /** Routes with `job.outputFile`: read the output report at the end of the log. */
  readOutput?: boolean;
}

/** What collectLogs returns: the tail for the dead-letter description, and the archive's URL or why it failed. */
export interface CollectedLogs {
  /** The last `tailLines` lines, or `(logs unavailable: ...)`. */
  tail: string;
  /** The archived log (a plain blob URL, never a SAS), when the write succeeded. */
  logUrl?: string;
  /** Why the log could not be read or archived; never blocks settlement. */
  archiveError?: string;
  /** With `readOutput`: the output file the log reported, or why there is none. */
  outputReport?: OutputReport;
}

/**
 * How the attempt settled, for the event ledger and the results topic: one activity (one episode) for both, each
 * best effort because the settlement itself has already happened.
 */
export interface SettlementNotice {
  result: JobSettledResult;
  outcome: AttemptSettled;
  /** For the settlement metrics, recorded by the same activity (never by the replayed orchestrator). */
  usage?: SettlementUsage;
}

export interface RequeueInput {
  body: string;
  eventId: string;
  eventSource: string;
  route: string;
  attempt: number;
  resubmission?: number;
  lastError: string;
  /** ISO-8601 (activity inputs are JSON). */
  scheduledEnqueueTime: string;
  original?: OriginalMessage;
}

export interface DeadLetterInput {
  body: string;
  eventId: string;
  eventSource: string;
  route: string;
  attempt: number;
  resubmission?: number;
  reason: string;
  description: string;
  original?: OriginalMessage;
}

/** What one attempt has learned so far, handed from step to step inside the orchestrator. */
export interface AttemptProgress {
  /** Present once the job exists (just created, or carried over by continueAsNew). */
  watch?: WatchState;
  /** Where a (possibly half-created) container group may exist and must be cleaned up. */
  target?: JobTarget;
  /** Set once the attempt has ended. */
  outcome?: AttemptOutcome;
  /**
   * Other targets a create was sent to: the group may exist there if ARM lost a create's response, so it is
   * deleted before the attempt goes on (deleteAbandonedGroups).
   */
  abandoned?: JobTarget[];
  /** An admission slot still held: released once the group is deleted. */
  slot?: HeldSlot;
}
