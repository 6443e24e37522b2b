import type { OrchestrationContext } from 'durable-functions';
import { backoffDelayMs } from '../../shared/policy/backoff';
import { SEND_RETRY, callWithRetry, type Step } from './callWithRetry';
import {
  DispatchJobActivity,
  type AttemptProgress,
  type CollectedLogs,
  type DeadLetterInput,
  type DispatchJobInput,
  type DispatchJobSettlement,
  type RequeueInput,
} from './contracts';
import {
  deadLetterDescription,
  decideSettlement,
  type AttemptOutcome,
  type SettlementDecision,
} from './decideSettlement';
import type { StatusBoard } from './statusBoard';

type SettlementBase = Omit<DispatchJobSettlement, 'outcome'>;

/** Decides what the attempt means for the event and carries it out: complete, requeue a copy, or dead-letter. */
export function* settleEvent(
  context: OrchestrationContext,
  input: DispatchJobInput,
  progress: AttemptProgress & { outcome: AttemptOutcome },
  logs: CollectedLogs,
  board: StatusBoard,
): Step<DispatchJobSettlement> {
  board.publish({ phase: 'Settling' });
  const { route, attempt } = input;
  const decision = decideSettlement(progress.outcome, {
    attempt,
    maxAttempts: route.policy.maxAttempts,
    nonRetryableExitCodes: route.policy.nonRetryableExitCodes,
  });
  const base: SettlementBase = {
    route: route.name,
    eventId: input.event.id,
    eventSource: input.event.source,
    attempt,
    ...(input.resubmission ? { resubmission: input.resubmission } : {}),
    containerGroup: board.containerGroup,
    polls: progress.watch?.polls ?? 0,
    ...(logs.logUrl !== undefined ? { logUrl: logs.logUrl } : {}),
    ...(decision.action !== 'complete' && decision.exitCode !== undefined
      ? { exitCode: decision.exitCode }
      : {}),
  };
  if (decision.action === 'complete') return { ...base, outcome: 'Succeeded', exitCode: 0 };
  if (decision.action === 'requeue') return yield* requeue(context, input, decision, base);
  return yield* deadLetter(context, input, decision, base, logs.tail);
}

function* requeue(
  context: OrchestrationContext,
  input: DispatchJobInput,
  decision: Extract<SettlementDecision, { action: 'requeue' }>,
  base: SettlementBase,
): Step<DispatchJobSettlement> {
  const { route, attempt } = input;
  const delayMs = backoffDelayMs(attempt, route.policy.backoff);
  const scheduled = new Date(context.df.currentUtcDateTime.getTime() + delayMs).toISOString();
  const request: RequeueInput = {
    body: input.eventJson,
    eventId: input.event.id,
    eventSource: input.event.source,
    route: route.name,
    attempt: attempt + 1,
    ...(input.resubmission ? { resubmission: input.resubmission } : {}),
    lastError: decision.lastError,
    scheduledEnqueueTime: scheduled,
  };
  const sent = yield* callWithRetry(context, DispatchJobActivity.requeueEvent, request, SEND_RETRY);
  if (!sent.ok)
    throw new Error(`requeue of event ${input.event.id} for route ${route.name} failed: ${sent.message}`);
  return {
    ...base,
    outcome: 'Requeued',
    description: decision.lastError,
    nextAttempt: attempt + 1,
    scheduledEnqueueTime: scheduled,
  };
}

function* deadLetter(
  context: OrchestrationContext,
  input: DispatchJobInput,
  decision: Extract<SettlementDecision, { action: 'dead-letter' }>,
  base: SettlementBase,
  logTail: string,
): Step<DispatchJobSettlement> {
  const { route, attempt } = input;
  const header =
    `route ${route.name}, attempt ${attempt}/${route.policy.maxAttempts}, container group ${base.containerGroup}: ${decision.summary}` +
    (base.logUrl !== undefined ? `\nFull log: ${base.logUrl}` : '');
  const description = deadLetterDescription(header, logTail);
  const request: DeadLetterInput = {
    body: input.eventJson,
    eventId: input.event.id,
    eventSource: input.event.source,
    route: route.name,
    attempt,
    ...(input.resubmission ? { resubmission: input.resubmission } : {}),
    reason: decision.reason,
    description,
  };
  const sent = yield* callWithRetry(context, DispatchJobActivity.deadLetterEvent, request, SEND_RETRY);
  if (!sent.ok)
    throw new Error(
      `dead-letter copy of event ${input.event.id} for route ${route.name} failed: ${sent.message}`,
    );
  return { ...base, outcome: 'DeadLettered', reason: decision.reason, description };
}
