/**
 * What the dispatcher counts and measures, per route. The port is recorded from the trigger and from
 * activities only (never from orchestrator code, which is replayed), so each fact is recorded once per
 * execution of the code that learned it; activities run at least once, so a retried activity may record twice.
 * Names and attributes are owned here: the workbook and alerts query them in App Insights `customMetrics`.
 */
export const MetricName = {
  eventsReceived: 'dispatcher.events.received',
  eventsRejected: 'dispatcher.events.rejected',
  jobsStarted: 'dispatcher.jobs.started',
  jobsSettled: 'dispatcher.jobs.settled',
  jobsCancelled: 'dispatcher.jobs.cancelled',
  jobDuration: 'dispatcher.job.duration',
  detectionDelay: 'dispatcher.job.detection_delay',
  capacityWait: 'dispatcher.job.capacity_wait',
  sweeperActions: 'dispatcher.sweeper.actions',
  vcpuSeconds: 'dispatcher.aci.vcpu_seconds',
  memoryGbSeconds: 'dispatcher.aci.gb_seconds',
} as const;

/** Attribute (App Insights customDimensions) names. */
export const MetricAttribute = {
  route: 'route',
  reason: 'reason',
  outcome: 'outcome',
  action: 'action',
} as const;

/** `Cancelled`: an operator cancelled the attempt (it is also counted in `jobsCancelled`). */
export type SettledOutcome = 'Succeeded' | 'Requeued' | 'DeadLettered' | 'Cancelled';

/** A cancelled attempt settles as outcome `Cancelled`, or dead-lettered with reason `Cancelled`. */
export function isCancellation(outcome: string, reason: string | undefined): boolean {
  return outcome === 'Cancelled' || reason === 'Cancelled';
}

/** What the sweeper did to one container group. */
export type SweepAction = 'deletedOrphan' | 'deletedFinished' | 'stoppedOverdue' | 'failed';

export interface SettledJob {
  route: string;
  outcome: SettledOutcome;
  /** The dead-letter reason, or the reason of the requeue (e.g. JobFailed). */
  reason?: string;
  /** From the attempt's start to its settlement. */
  durationMs: number;
  /** How long the container group existed (create to delete): the basis of the ACI bill. 0 when none was created. */
  groupLifetimeMs: number;
  cpu: number;
  memoryInGB: number;
}

export interface DispatchMetrics {
  eventReceived(route: string): void;
  eventRejected(reason: string): void;
  jobStarted(route: string): void;
  jobSettled(job: SettledJob): void;
  /** Recorded by the cancel path (operator cancel). */
  jobCancelled(route: string): void;
  /** From a job's finish (as ACI reports it) to the poll that saw it. */
  detectionDelay(route: string, delayMs: number): void;
  /**
   * Time an attempt waited for a capacity slot before its create. Recorded by the create activity from
   * `CreateJobInput.capacityWaitMs`, which the admission step sets when the wait ends (at the grant).
   */
  capacityWaited(route: string, waitMs: number): void;
  sweeperAction(route: string, action: SweepAction): void;
}

/** Records nothing: the default where no metrics sink is configured. */
export const noMetrics: DispatchMetrics = {
  eventReceived: () => undefined,
  eventRejected: () => undefined,
  jobStarted: () => undefined,
  jobSettled: () => undefined,
  jobCancelled: () => undefined,
  detectionDelay: () => undefined,
  capacityWaited: () => undefined,
  sweeperAction: () => undefined,
};
