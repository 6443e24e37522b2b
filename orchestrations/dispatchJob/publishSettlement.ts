import type { OrchestrationContext } from 'durable-functions';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import type { Step } from './callWithRetry';
import {
  DispatchJobActivity,
  type DispatchJobSettlement,
  type PublishResultInput,
  type SettlementUsage,
} from './contracts';
import type { StatusBoard } from './statusBoard';

/**
 * Publishes the lifecycle event (best effort) and shows the final phase in the instance's status. The same
 * activity records the settlement metrics from `usage`, so they are recorded once, outside replay.
 */
export function* publishSettlement(
  context: OrchestrationContext,
  settlement: DispatchJobSettlement,
  board: StatusBoard,
  route: ResolvedRoute,
): Step<void> {
  const reason =
    settlement.reason ?? (settlement.outcome === 'Requeued' ? settlement.description : undefined);
  const result: PublishResultInput = {
    eventId: settlement.eventId,
    route: settlement.route,
    attempt: settlement.attempt,
    outcome: settlement.outcome,
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(settlement.scheduledEnqueueTime !== undefined
      ? { nextAttemptAt: settlement.scheduledEnqueueTime }
      : {}),
    instanceId: context.df.instanceId,
    time: context.df.currentUtcDateTime.toISOString(),
    usage: settlementUsage(context, settlement, board, route),
  };
  yield context.df.callActivity(DispatchJobActivity.publishResult, result);
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
