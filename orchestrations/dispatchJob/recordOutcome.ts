import type { OrchestrationContext } from 'durable-functions';
import type { AttemptSettled } from '../../adapters/ledger/eventLedger';
import type { Step } from './callWithRetry';
import {
  DispatchJobActivity,
  type CollectedLogs,
  type DispatchJobInput,
  type DispatchJobSettlement,
} from './contracts';

/** Tells the event ledger how the attempt ended (best effort: the activity logs a failure, never throws). */
export function* recordOutcome(
  context: OrchestrationContext,
  input: DispatchJobInput,
  settlement: DispatchJobSettlement,
  logs: CollectedLogs,
): Step<void> {
  const outcome: AttemptSettled = {
    eventId: input.event.id,
    source: input.event.source,
    route: settlement.route,
    attempt: settlement.attempt,
    instanceId: context.df.instanceId,
    outcome: settlement.outcome,
    settledAt: context.df.currentUtcDateTime.toISOString(),
    ...(settlement.reason !== undefined ? { reason: settlement.reason } : {}),
    ...(settlement.description !== undefined ? { description: settlement.description } : {}),
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(logs.logUrl !== undefined ? { logUrl: logs.logUrl } : {}),
    ...(logs.archiveError !== undefined ? { logArchiveError: logs.archiveError } : {}),
  };
  yield context.df.callActivity(DispatchJobActivity.recordOutcome, outcome);
}
