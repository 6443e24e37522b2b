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
  type WatchState,
} from './contracts';
import {
  deadLetterDescription,
  decideSettlement,
  type AttemptOutcome,
  type SettlementDecision,
} from './decideSettlement';
import type { StatusBoard } from './statusBoard';

/** The output keeps at most this much of the log (Durable stores outputs in history and the instances table). */
const MAX_OUTPUT_LOG_TAIL_CHARS = 4000;

function clipLogTail(logTail: string): string {
  const trimmed = logTail.trimEnd();
  return trimmed.length <= MAX_OUTPUT_LOG_TAIL_CHARS
    ? trimmed
    : `…${trimmed.slice(trimmed.length - MAX_OUTPUT_LOG_TAIL_CHARS + 1)}`;
}

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
    ...(logs.tail.trim() !== '' ? { logTail: clipLogTail(logs.tail) } : {}),
    ...outputFields(progress.watch?.callback, logs.outputReport),
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
    ...(input.original ? { original: input.original } : {}),
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
    ...(input.original ? { original: input.original } : {}),
  };
  const sent = yield* callWithRetry(context, DispatchJobActivity.deadLetterEvent, request, SEND_RETRY);
  if (!sent.ok)
    throw new Error(
      `dead-letter copy of event ${input.event.id} for route ${route.name} failed: ${sent.message}`,
    );
  const outcome = decision.reason === 'Cancelled' ? 'Cancelled' : 'DeadLettered';
  return { ...base, outcome, reason: decision.reason, description };
}

/**
 * What the job reported, for the orchestration output and the result event: a callback's output wins over the
 * output file (the job said it explicitly, over HTTPS); the file's error is kept only when there is no output.
 */
function outputFields(
  callback: WatchState['callback'],
  fileReport: CollectedLogs['outputReport'],
): Pick<SettlementBase, 'output' | 'outputError' | 'callbackAt'> {
  const fields: Pick<SettlementBase, 'output' | 'outputError' | 'callbackAt'> = callback
    ? { callbackAt: callback.receivedAt }
    : {};
  if (callback?.output !== undefined) return { ...fields, output: callback.output };
  if (!fileReport) return fields;
  return fileReport.ok
    ? { ...fields, output: fileReport.output }
    : { ...fields, outputError: fileReport.error };
}
