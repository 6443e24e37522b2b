import type { EventLedger } from '../../adapters/ledger/eventLedger';
import { isNotFound } from '../../shared/errors/isNotFound';
import { instanceIdFor } from '../../shared/naming/dispatchNames';
import {
  CANCEL_EVENT,
  DISPATCH_JOB_ORCHESTRATOR,
  type CancelRequest,
  type DispatchJobInput,
} from '../../orchestrations/dispatchJob/dispatchJobInput';
import {
  findEventJobs,
  type EventQuery,
  type InstanceSnapshot,
  type JobView,
  type RouteRef,
} from '../status/jobStatus';
import { newestAttempts } from '../status/newestAttempts';

/** The part of durable-functions' DurableClient a cancel uses. */
export interface CancelClient {
  getStatus(instanceId: string): Promise<InstanceSnapshot & { input?: unknown }>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
}

/** What a cancel did to one route's newest attempt. */
export interface RouteCancel {
  route: string;
  attempt: number;
  instanceId: string;
  /**
   * `cancelling`: the cancel was handed to a running attempt (or to an attempt started already cancelled in
   * place of a scheduled requeue); `cancelled`: settled as Cancelled before; `settled`: it ended otherwise
   * first (the phase says how) and there is nothing left to stop.
   */
  state: 'cancelling' | 'cancelled' | 'settled';
  phase: string;
}

export interface CancelResult {
  eventId: string;
  /** Only when the cancel named one source (`?source=`); without it every source that used the id is cancelled. */
  source?: string;
  routes: (RouteCancel & { source: string | null })[];
}

const activeRuntime = new Set(['Pending', 'Running', 'ContinuedAsNew']);
/** Phases an attempt shows once it settled (Requeued is handled on its own: its successor can be cancelled). */
const SETTLED_PHASES = new Set(['Succeeded', 'DeadLettered', 'Cancelled']);

/**
 * Cancels every attempt of an event that can still run, per (source, route), looking only at the newest attempt
 * of the newest resubmission generation (an older one has settled, or there would be no newer one). CloudEvents
 * ids are unique only within a source: with `query.source` only that event is cancelled, without it every source
 * that used the id (each result names its source).
 * - running: the `cancel` external event; the orchestrator races it against its poll timer, so either the job's
 *   end or the cancel is the one outcome, and a cancel that loses the race changes nothing;
 * - Requeued (its copy is scheduled, the next attempt not yet started): the next attempt is started now, already
 *   cancelled, under its deterministic instance id. It only settles the event as Cancelled; when the scheduled
 *   copy arrives the trigger finds that instance and treats the copy as a duplicate, so no new job starts.
 * Repeating a cancel is harmless: a settled attempt ignores the event, an existing instance is not replaced.
 */
export async function cancelEventJobs(
  client: CancelClient,
  routes: readonly RouteRef[],
  query: EventQuery,
  request: CancelRequest,
  ledger?: EventLedger,
): Promise<CancelResult> {
  const jobs = await eventJobs(client, routes, query, ledger);
  const results: CancelResult['routes'] = [];
  for (const job of newestAttempts(jobs)) {
    const base = { route: job.route, attempt: job.attempt, instanceId: job.instanceId, phase: job.phase };
    let outcome: RouteCancel;
    // The phase first: an attempt shows its final phase as soon as it settled, while it may still be running to
    // publish its result (retried for up to an hour through a Service Bus or storage outage). A cancel raised on
    // it then would be ignored, so a settled Requeued attempt is cancelled through its successor at once.
    if (job.phase === 'Requeued' && job.runtimeStatus !== 'Failed' && job.runtimeStatus !== 'Terminated') {
      outcome = await cancelScheduledAttempt(client, job, query.id, request);
    } else if (SETTLED_PHASES.has(job.phase)) {
      outcome = { ...base, state: job.phase === 'Cancelled' ? 'cancelled' : 'settled' };
    } else if (activeRuntime.has(job.runtimeStatus)) {
      await client.raiseEvent(job.instanceId, CANCEL_EVENT, request);
      outcome = { ...base, state: 'cancelling' };
    } else {
      outcome = { ...base, state: job.phase === 'Cancelled' ? 'cancelled' : 'settled' };
    }
    results.push({ ...outcome, source: job.eventSource });
  }
  return {
    eventId: query.id,
    ...(query.source !== undefined ? { source: query.source } : {}),
    routes: results,
  };
}

/**
 * The event's jobs. By (source, id) they are found through their deterministic instance ids. By id alone the
 * ledger names the sources that used the id, so each is looked up the same way; only when the ledger does not
 * know the id (or cannot be read) are the task hub's instances listed, as the status API does.
 */
async function eventJobs(
  client: CancelClient,
  routes: readonly RouteRef[],
  query: EventQuery,
  ledger: EventLedger | undefined,
): Promise<JobView[]> {
  if (query.source !== undefined || !ledger) return findEventJobs(client, routes, query);
  const sources = await ledger.findById(query.id).then(
    (events) => [...new Set(events.map((event) => event.source))],
    () => [],
  );
  if (sources.length === 0) return findEventJobs(client, routes, query);
  const perSource = await Promise.all(
    sources.map((source) => findEventJobs(client, routes, { id: query.id, source })),
  );
  return perSource.flat();
}

async function cancelScheduledAttempt(
  client: CancelClient,
  requeued: JobView,
  eventId: string,
  request: CancelRequest,
): Promise<RouteCancel> {
  const previous = await client.getStatus(requeued.instanceId);
  const input = previous.input as DispatchJobInput;
  const attempt = requeued.attempt + 1;
  const identity = { source: input.event.source, id: eventId };
  const instanceId = instanceIdFor(requeued.route, identity, attempt, input.resubmission ?? 0);
  const next: DispatchJobInput = { ...input, attempt, cancelled: request };
  delete next.watch;
  const result = { route: requeued.route, attempt, instanceId, state: 'cancelling' as const };
  try {
    await client.startNew(DISPATCH_JOB_ORCHESTRATOR, { instanceId, input: next });
    return { ...result, phase: 'Pending' };
  } catch (err) {
    // The scheduled copy started the attempt meanwhile (the start is refused while it runs): cancel that one.
    const now = await client.getStatus(instanceId).catch((e: unknown) => {
      if (isNotFound(e)) throw err;
      throw e;
    });
    await client.raiseEvent(instanceId, CANCEL_EVENT, request);
    return { ...result, phase: now.runtimeStatus };
  }
}

/** The HTTP status for a cancel: 202 while something is being stopped, 200 when already cancelled, else 409. */
export function cancelHttpStatus(result: CancelResult): 200 | 202 | 404 | 409 {
  if (result.routes.length === 0) return 404;
  if (result.routes.some((r) => r.state === 'cancelling')) return 202;
  if (result.routes.some((r) => r.state === 'cancelled')) return 200;
  return 409;
}
