import type { OrchestrationContext } from 'durable-functions';
import type { AttemptSettled } from '../../adapters/ledger/eventLedger';
import type { JobSettledResult } from '../../adapters/serviceBus/resultPublisher';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import { attemptStartMs } from './attemptDeadline';
import { SEND_RETRY, waitBeforeRetry, type Step } from './callWithRetry';
import { classifyError } from '../../shared/errors/classifyError';
import {
  DispatchJobActivity,
  type CollectedLogs,
  type DispatchJobInput,
  type DispatchJobSettlement,
  type PublishFailure,
  type SettlementNotice,
  type SettlementPublished,
  type SettlementUsage,
} from './contracts';
import type { StatusBoard } from './statusBoard';

/**
 * Shows the final phase in the instance's status and tells the event ledger and the results topic how the attempt
 * settled, at least once (retried; when it finally gives up, `publishError` in customStatus and the output say
 * so). The same activity records the settlement metrics from `usage` on its first try, so they are recorded once,
 * outside replay.
 */
export function* publishSettlement(
  context: OrchestrationContext,
  input: DispatchJobInput,
  settlement: DispatchJobSettlement,
  logs: CollectedLogs,
  board: StatusBoard,
): Step<DispatchJobSettlement> {
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
  // The event is settled: the phase says so at once, while the notice is still being written.
  board.publish({
    phase: settlement.outcome,
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(reason !== undefined ? { reason } : {}),
  });
  const notice: SettlementNotice = {
    result,
    outcome,
    usage: settlementUsage(context, settlement, board, input.route),
  };
  const publishError = yield* publishWithRetry(context, notice);
  if (publishError === undefined) return settlement;
  board.publish({ publishError });
  return { ...settlement, publishError };
}

/**
 * Writes the notice at least once: the parts that failed transiently are retried with durable timers for as long
 * as a requeue send is (SEND_RETRY, 20 tries over more than an hour), which outlasts a Service Bus or storage outage.
 * Returns why it gave up, or undefined once every part is written.
 */
function* publishWithRetry(
  context: OrchestrationContext,
  notice: SettlementNotice,
): Step<string | undefined> {
  let skip: PublishFailure['part'][] = [];
  const { usage, ...rest } = notice;
  for (let tryNo = 1; ; tryNo++) {
    const lastTry = tryNo >= SEND_RETRY.tries;
    let failures: PublishFailure[];
    try {
      const published = (yield context.df.callActivity(DispatchJobActivity.publishResult, {
        ...rest,
        // Metrics are recorded by the first try only.
        ...(tryNo === 1 && usage ? { usage } : {}),
        ...(skip.length > 0 ? { skip } : {}),
        ...(lastTry ? { lastTry } : {}),
      } satisfies SettlementNotice)) as SettlementPublished;
      failures = published.failures;
    } catch (err) {
      // The activity itself failed (host restart, timeout): nothing is known to be written.
      const c = classifyError(err);
      failures = (['ledger', 'topic'] as const)
        .filter((part) => !skip.includes(part))
        .map((part) => ({ part, class: 'transient', message: c.message }));
    }
    if (failures.length === 0) return undefined;
    const failed = new Set(failures.map((f) => f.part));
    skip = (['ledger', 'topic'] as const).filter((part) => !failed.has(part));
    const message = failures
      .map((f) => `${f.part === 'topic' ? 'results topic' : 'event ledger'}: ${f.message}`)
      .join('; ');
    if (lastTry || failures.every((f) => f.class === 'permanent' || f.class === 'config')) {
      return `settlement not published after ${tryNo} tries: ${message}`;
    }
    const retryAfterMs = failures.find((f) => f.retryAfterMs !== undefined)?.retryAfterMs;
    yield* waitBeforeRetry(context, SEND_RETRY, tryNo, retryAfterMs);
  }
}

/**
 * The latest deadline was fixed at the attempt's start (start + create budget + timeout), so the start survives
 * continueAsNew without extra state. A container group exists from its create (the attempt's first step) to its
 * delete (just before settling), which is what ACI bills; none existed when no create succeeded.
 */
function settlementUsage(
  context: OrchestrationContext,
  settlement: DispatchJobSettlement,
  board: StatusBoard,
  route: ResolvedRoute,
): SettlementUsage {
  const { latestDeadline } = board.status;
  const startMs =
    latestDeadline !== undefined
      ? attemptStartMs(latestDeadline, route)
      : Date.parse(board.status.deadline) - route.policy.timeoutMs;
  const durationMs = context.df.currentUtcDateTime.getTime() - startMs;
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
