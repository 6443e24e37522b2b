import type { OrchestrationContext } from 'durable-functions';
import type { AttemptSettled } from '../../adapters/ledger/eventLedger';
import type { JobSettledResult } from '../../adapters/serviceBus/resultPublisher';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import type { Step } from './callWithRetry';
import {
  DispatchJobActivity,
  type CollectedLogs,
  type DispatchJobInput,
  type DispatchJobSettlement,
  type SettlementNotice,
  type SettlementUsage,
} from './contracts';
import type { StatusBoard } from './statusBoard';

/**
 * Tells the event ledger and the results topic how the attempt settled (one best-effort activity) and shows the
 * final phase in the instance's status. The same activity records the settlement metrics from `usage`, so they
 * are recorded once, outside replay.
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
    ...(settlement.output !== undefined ? { output: settlement.output } : {}),
    ...(settlement.outputError !== undefined ? { outputError: settlement.outputError } : {}),
    instanceId: context.df.instanceId,
    ...(settlement.logUrl !== undefined ? { logUrl: settlement.logUrl } : {}),
    time: now,
  };
  const outcome: AttemptSettled = {
    eventId: input.event.id,
    source: input.event.source,
    route: settlement.route,
    attempt: settlement.attempt,
    ...(settlement.resubmission ? { resubmission: settlement.resubmission } : {}),
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
    usage: settlementUsage(context, settlement, board, input.route),
  } satisfies SettlementNotice);
  board.publish({
    phase: settlement.outcome,
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(reason !== undefined ? { reason } : {}),
  });
}

/**
 * The deadline was fixed at the attempt's start (start + timeout), so the start survives continueAsNew without
 * extra state. A container group exists from its create (the attempt's first step) to its delete (just before
 * settling), which is what ACI bills; none existed when no create succeeded.
 */
function settlementUsage(
  context: OrchestrationContext,
  settlement: DispatchJobSettlement,
  board: StatusBoard,
  route: ResolvedRoute,
): SettlementUsage {
  const durationMs =
    context.df.currentUtcDateTime.getTime() - (Date.parse(board.status.deadline) - route.policy.timeoutMs);
  const reason =
    settlement.reason ?? (settlement.outcome === 'Requeued' ? reasonOf(settlement.description) : undefined);
  return {
    ...(reason !== undefined ? { reason } : {}),
    durationMs,
    groupLifetimeMs: board.status.target !== undefined ? durationMs : 0,
    cpu: route.job.cpu,
    memoryInGB: route.job.memoryInGB,
  };
}

/** A requeue's last error starts with its reason (`JobFailed: container exited with code 1`). */
function reasonOf(lastError: string | undefined): string | undefined {
  return /^([A-Za-z]+):/.exec(lastError ?? '')?.[1];
}
