import type { JobTarget } from '../../adapters/aci/jobProvider';
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
  /** Only present after continueAsNew: the job exists and is being watched. */
  watch?: WatchState;
}

export interface WatchState {
  target: JobTarget;
  /** ISO-8601; fixed when the attempt started, carried across executions. */
  deadline: string;
  /** Polls so far over the whole attempt (drives the growing interval). */
  polls: number;
  /** 1 for the first execution, +1 per continueAsNew. */
  execution: number;
  /** Whether an existing container group of that name was reused at creation. */
  reused: boolean;
  /** ISO-8601: when the running job's log was last archived (see LOG_SNAPSHOT_EVERY_MS). */
  logSnapshotAt?: string;
}
