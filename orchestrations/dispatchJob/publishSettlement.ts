import type { OrchestrationContext } from 'durable-functions';
import type { JobSettledResult } from '../../adapters/serviceBus/resultPublisher';
import type { Step } from './callWithRetry';
import { DispatchJobActivity, type DispatchJobSettlement } from './contracts';
import type { StatusBoard } from './statusBoard';

/** Publishes the lifecycle event (best effort) and shows the final phase in the instance's status. */
export function* publishSettlement(
  context: OrchestrationContext,
  settlement: DispatchJobSettlement,
  board: StatusBoard,
): Step<void> {
  const reason =
    settlement.reason ?? (settlement.outcome === 'Requeued' ? settlement.description : undefined);
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
    time: context.df.currentUtcDateTime.toISOString(),
  };
  yield context.df.callActivity(DispatchJobActivity.publishResult, result);
  board.publish({
    phase: settlement.outcome,
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(reason !== undefined ? { reason } : {}),
  });
}
