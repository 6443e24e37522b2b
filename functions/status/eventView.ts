import type { LedgerAttempt, LedgerEvent } from '../../adapters/ledger/eventLedger';
import type { JobView } from './jobStatus';
import { compareAttempts, newestAttempts } from './newestAttempts';

/**
 * `GET /api/events/{id}` as the ledger and the orchestrations see it together: the ledger knows every
 * delivery (rejections included) and every attempt's instance id and outcome, even after the instance was
 * purged; the orchestration knows the live phase of a running attempt.
 */
export interface EventStatusView {
  eventId: string;
  /** `Rejected`: dead-lettered by the trigger, no job ran; `Settled`: every route's newest attempt is final. */
  state: 'Rejected' | 'InProgress' | 'Settled';
  /** The newest rejection of any source with this id. */
  rejection?: { source: string; reason: string; description: string; at: string };
  /** One per source that sent an event with this id. */
  events: Array<Omit<LedgerEvent, 'attempts'>>;
  jobs: EventJobView[];
}

export interface EventJobView extends JobView {
  source?: string;
  settledAt?: string;
  /** The archived full log of the attempt (a plain blob URL). */
  logUrl?: string;
}

const FINAL_OUTCOMES = new Set(['Succeeded', 'DeadLettered', 'Cancelled']);
const TERMINAL_RUNTIME = new Set(['Completed', 'Failed', 'Terminated']);

/**
 * Joins ledger records and orchestration views (either may be missing: a purged instance, a ledger write that
 * failed, an instance from before the ledger). Undefined when neither knows the event: the API's 404.
 */
export function buildEventView(
  eventId: string,
  ledger: readonly LedgerEvent[],
  live: readonly JobView[],
): EventStatusView | undefined {
  if (ledger.length === 0 && live.length === 0) return undefined;
  const liveById = new Map(live.map((job) => [job.instanceId, job]));
  const jobs: EventJobView[] = [];
  for (const event of ledger) {
    for (const attempt of event.attempts) {
      const job = liveById.get(attempt.instanceId);
      liveById.delete(attempt.instanceId);
      jobs.push(job ? withLedger(job, event, attempt) : fromLedger(event, attempt));
    }
  }
  jobs.push(...liveById.values());
  jobs.sort(compareAttempts);

  const rejections = ledger
    .flatMap((event) => (event.rejection ? [{ source: event.source, ...event.rejection }] : []))
    .sort((a, b) => b.at.localeCompare(a.at));
  const rejection = rejections[0];
  return {
    eventId,
    state:
      jobs.length === 0
        ? rejection
          ? 'Rejected'
          : 'InProgress'
        : isSettled(jobs)
          ? 'Settled'
          : 'InProgress',
    ...(rejection ? { rejection } : {}),
    events: ledger.map(({ attempts: _attempts, ...event }) => event),
    jobs,
  };
}

/**
 * Every (source, route)'s newest attempt, of the newest resubmission generation, has a final outcome (a Requeued
 * attempt has a successor coming).
 */
function isSettled(jobs: readonly EventJobView[]): boolean {
  return newestAttempts(jobs).every(
    (job) =>
      FINAL_OUTCOMES.has(job.phase) || (TERMINAL_RUNTIME.has(job.runtimeStatus) && job.phase !== 'Requeued'),
  );
}

function withLedger(job: JobView, { eventId, source }: LedgerEvent, attempt: LedgerAttempt): EventJobView {
  return {
    ...job,
    // An instance that has not run yet has no identity in its status: the ledger knows it.
    eventId: job.eventId ?? eventId,
    eventSource: job.eventSource ?? source,
    source,
    ...(attempt.settledAt !== undefined ? { settledAt: attempt.settledAt } : {}),
    ...(attempt.description !== undefined ? { description: attempt.description } : {}),
    ...(attempt.logUrl !== undefined ? { logUrl: attempt.logUrl } : {}),
  };
}

/** An attempt only the ledger knows: started but not yet visible, or purged since. */
function fromLedger({ eventId, source }: LedgerEvent, attempt: LedgerAttempt): EventJobView {
  const at = attempt.settledAt ?? attempt.startedAt ?? '';
  return {
    instanceId: attempt.instanceId,
    eventId,
    eventSource: source,
    route: attempt.route,
    attempt: attempt.attempt,
    resubmission: attempt.resubmission ?? Number(/-g(\d+)-a\d+$/.exec(attempt.instanceId)?.[1] ?? 0),
    phase: attempt.outcome ?? 'Pending',
    runtimeStatus: attempt.outcome !== undefined ? 'Completed' : 'Pending',
    exitCode: attempt.exitCode ?? null,
    containerGroup: null,
    createdTime: attempt.startedAt ?? at,
    lastUpdatedTime: at,
    reason: attempt.reason ?? null,
    // The orchestration's view is gone (or not there yet): only the ledger's facts.
    maxAttempts: null,
    polls: 0,
    deadline: null,
    target: null,
    description: attempt.description ?? null,
    nextAttemptAt: null,
    logTail: null,
    // The ledger keeps outcomes, not outputs: a purged instance's output is only in its result event.
    callback: null,
    output: null,
    outputError: null,
    source,
    ...(attempt.settledAt !== undefined ? { settledAt: attempt.settledAt } : {}),
    ...(attempt.logUrl !== undefined ? { logUrl: attempt.logUrl } : {}),
  };
}
