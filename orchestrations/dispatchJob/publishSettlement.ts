import type { OrchestrationContext } from 'durable-functions';
import type { AttemptSettled } from '../../adapters/ledger/eventLedger';
import type { JobSettledResult } from '../../adapters/serviceBus/resultPublisher';
import type { Step } from './callWithRetry';
import {
  DispatchJobActivity,
  type CollectedLogs,
  type DispatchJobInput,
  type DispatchJobSettlement,
  type SettlementNotice,
} from './contracts';
import type { StatusBoard } from './statusBoard';

/**
 * Tells the event ledger and the results topic how the attempt settled (one best-effort activity) and shows the
 * final phase in the instance's status.
 */
export function* publishSettlement(
  context: OrchestrationContext,
  input: DispatchJobInput,
  settlement: DispatchJobSettlement,
  logs: CollectedLogs,
  board: StatusBoard,
): Step<void> {
  const reason =
    settlement.reason ?? (settlement.outcome === 'Requeued' ? settlement.description : undefined);
  const now = context.df.currentUtcDateTime.toISOString();
  const result: JobSettledResult = {
    eventId: settlement.eventId,
    eventSource: settlement.eventSource,
    route: settlement.route,
    attempt: settlement.attempt,
    ...(settlement.resubmission ? { resubmission: settlement.resubmission } : {}),
    outcome: settlement.outcome,
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(settlement.scheduledEnqueueTime !== undefined
      ? { nextAttemptAt: settlement.scheduledEnqueueTime }
      : {}),
    instanceId: context.df.instanceId,
    ...(settlement.logUrl !== undefined ? { logUrl: settlement.logUrl } : {}),
    time: now,
  };
  const outcome: AttemptSettled = {
    eventId: input.event.id,
    source: input.event.source,
    route: settlement.route,
    attempt: settlement.attempt,
    instanceId: context.df.instanceId,
    outcome: settlement.outcome,
    settledAt: now,
    ...(settlement.reason !== undefined ? { reason: settlement.reason } : {}),
    ...(settlement.description !== undefined ? { description: settlement.description } : {}),
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(logs.logUrl !== undefined ? { logUrl: logs.logUrl } : {}),
    ...(logs.archiveError !== undefined ? { logArchiveError: logs.archiveError } : {}),
  };
  yield context.df.callActivity(DispatchJobActivity.publishResult, {
    result,
    outcome,
  } satisfies SettlementNotice);
  board.publish({
    phase: settlement.outcome,
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(reason !== undefined ? { reason } : {}),
  });
}
