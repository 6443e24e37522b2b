import type { JobFailureReason } from '../../shared/errors/jobFailureReason';

/**
 * The contract between the orchestration and whatever runs container jobs (ACI in production, a scripted
 * provider in orchestration tests). Every method is idempotent: activities are executed at least once.
 */

/** Where a job's container group is created. */
export interface JobTarget {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
}

/** Everything needed to create one job; derived from the route (never from the event) plus the event as data. */
export interface JobSpec {
  /** Deterministic container group name (lower-case, <= 63 chars), see shared/naming. */
  name: string;
  /** Orchestration instance id the job belongs to (written to tags). */
  instanceId: string;
  route: string;
  eventId: string;
  attempt: number;
  image: string;
  command?: string[];
  cpu: number;
  memoryInGB: number;
  /** Plain environment variables. */
  env: Record<string, string>;
  /** Already-resolved secret values: passed as secure values, never logged. */
  secureEnv: Record<string, string>;
  /** How the event reaches the job: `env` -> DISPATCH_EVENT, `file` -> mounted JSON file at `eventFilePath`. */
  eventDelivery: 'env' | 'file';
  eventFilePath?: string;
  /** The CloudEvent JSON (the body as received, `dataref` data put back). */
  eventJson: string;
  /** Set when the event is too large to pass inline: a read-only URL of it (a credential: a secure value). */
  eventUrl?: string;
  /**
   * Set for routes with `job.outputFile`: given to the job as DISPATCH_OUTPUT_FILE (in an empty volume of its own)
   * and `command` runs under the epilogue that prints the file at the end of the log (shared/jobOutputs).
   */
  outputFile?: string;
  /** Present for `completion: "callback"` routes: where and with what bearer token the job reports back. */
  callback?: { url: string; token: string };
  /** Resource id of a user-assigned identity for the group (registry pull, Key Vault). */
  identityResourceId?: string;
  /** Registry login server the identity pulls from, when the image is private. */
  registryServer?: string;
  /** The route's own tags (cost centre, owner), validated by the route schema. */
  tags?: Record<string, string>;
  /** ISO-8601 time of the create request, written to the `dispatcher-created` tag. */
  createdAt?: string;
}

export type JobState = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface JobStatus {
  state: JobState;
  /** Exit code of the FIRST termination of the (first) container, once it has terminated. */
  exitCode?: number;
  /** Human-readable detail (ACI detailStatus / events), e.g. why a pull failed. */
  detail?: string;
  /** Set when the job can never run (image cannot be pulled, invalid spec): why. No retry helps. */
  permanentFailure?: JobFailureReason;
  startTime?: string;
  finishTime?: string;
}

export interface CreatedJob {
  /** The target actually used (the primary or a fallback). */
  target: JobTarget;
  /** True when a group with that name already existed and was reused. */
  reused: boolean;
}

export interface JobProvider {
  /** Creates (or reuses) the job in `target`; throws TransientProviderError / CapacityProviderError / PermanentProviderError. */
  create(spec: JobSpec, target: JobTarget): Promise<CreatedJob>;
  status(name: string, target: JobTarget): Promise<JobStatus>;
  /** Last `tailLines` lines of the job's output, or all the provider keeps when omitted ('' when none). */
  logs(name: string, target: JobTarget, tailLines?: number): Promise<string>;
  /** Stops a running job; no error when already stopped or gone. */
  stop(name: string, target: JobTarget): Promise<void>;
  /** Deletes the job; no error when already gone. */
  delete(name: string, target: JobTarget): Promise<void>;
}
