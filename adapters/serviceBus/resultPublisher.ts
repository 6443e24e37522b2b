/**
 * Lifecycle event sink: one `dispatcher.job.settled` CloudEvent per settlement (event, route, attempt),
 * published when DISPATCH_RESULTS_TOPIC is set. Consumers (dashboards, audit stores) subscribe to the topic.
 */
export const jobSettledEventType = 'dispatcher.job.settled';

/** `Cancelled`: stopped by an operator (`POST /api/events/{id}/cancel`); the event is dead-lettered with reason `Cancelled`. */
export type SettlementOutcome = 'Succeeded' | 'Requeued' | 'DeadLettered' | 'Cancelled';

export interface JobSettledResult {
  eventId: string;
  /** With `eventId`, the event's identity. */
  eventSource: string;
  route: string;
  attempt: number;
  /** Resubmission generation; absent for the original delivery. */
  resubmission?: number;
  outcome: SettlementOutcome;
  /** Exit code of the first termination, when the job ran to termination. */
  exitCode?: number;
  /** Why it was requeued or dead-lettered (dead-letter reason / last error); never secret values. */
  reason?: string;
  /** What the job reported in its callback (`output`) or its output file: JSON up to 64 KB. */
  output?: unknown;
  /** Routes with an output file, when the job gave no output: why (missing, too big, not JSON, cut log). */
  outputError?: string;
  /** Orchestration instance id, so a consumer can look the run up in the status API. */
  instanceId?: string;
  /** For `Requeued`: when the next attempt's copy becomes visible on the queue. ISO-8601. */
  nextAttemptAt?: string;
  /** The attempt's archived full log (a plain blob URL, never a SAS). */
  logUrl?: string;
  /** When it settled; default: the time of publishing. ISO-8601. */
  time?: string;
}

export interface ResultPublisher {
  publish(result: JobSettledResult): Promise<void>;
  close(): Promise<void>;
}
