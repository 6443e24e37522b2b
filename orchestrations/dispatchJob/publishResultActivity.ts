import type { EventLedger } from '../../adapters/ledger/eventLedger';
import type { ResultPublisher } from '../../adapters/serviceBus/resultPublisher';
import { classifyError } from '../../shared/errors/classifyError';
import { isCancellation, type DispatchMetrics } from '../../shared/metrics/dispatchMetrics';
import type { PublishFailure, SettlementNotice, SettlementPublished } from './contracts';

export interface PublishResultDeps {
  ledger?: EventLedger;
  resultPublisher?: ResultPublisher;
  metrics: DispatchMetrics;
  log: (message: string) => void;
  warn: (message: string) => void;
}

/**
 * The publishResult activity: records the settlement metrics (only when the notice carries `usage`: the first
 * try), writes the attempt's outcome to the event ledger and publishes `dispatcher.job.settled` to the results
 * topic. Never throws for a failed write: it returns which part failed and how (transient or not), so the
 * orchestrator retries only the parts still missing, with durable timers. Both writes are idempotent (ledger
 * upsert, deterministic MessageId), so a retry after an unseen success changes nothing.
 */
export async function publishResultActivity(
  deps: PublishResultDeps,
  notice: SettlementNotice,
): Promise<SettlementPublished> {
  const { result, outcome, usage } = notice;
  if (usage) {
    deps.metrics.jobSettled({
      route: result.route,
      outcome: result.outcome,
      ...(result.outcome !== 'Succeeded' && usage.reason !== undefined ? { reason: usage.reason } : {}),
      durationMs: usage.durationMs,
      groupLifetimeMs: usage.groupLifetimeMs,
      cpu: usage.cpu,
      memoryInGB: usage.memoryInGB,
    });
    if (isCancellation(result.outcome, usage.reason)) deps.metrics.jobCancelled(result.route);
  }
  const failures: PublishFailure[] = [];
  const attempt = async (part: PublishFailure['part'], write: (() => Promise<void>) | undefined) => {
    if (!write || notice.skip?.includes(part)) return;
    try {
      await write();
    } catch (err) {
      const c = classifyError(err);
      failures.push({
        part,
        class: c.class,
        message: c.message,
        ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}),
      });
      // The last try's failure is a warning: the settlement then stays unpublished (customStatus.publishError).
      (notice.lastTry ? deps.warn : deps.log)(
        `${part === 'ledger' ? `outcome of ${outcome.instanceId} not recorded in the ledger` : `result for event ${result.eventId} not published`}${notice.lastTry ? ' (giving up)' : ''}: ${c.message}`,
      );
    }
  };
  const { ledger, resultPublisher } = deps;
  await Promise.all([
    attempt('ledger', ledger && (() => ledger.recordAttemptSettled(outcome))),
    attempt('topic', resultPublisher && (() => resultPublisher.publish(result))),
  ]);
  return { failures };
}
