import { isNotFound } from '../../shared/errors/isNotFound';
import { instanceIdFor } from '../../shared/naming/dispatchNames';
import {
  CANCEL_EVENT,
  DISPATCH_JOB_ORCHESTRATOR,
  type CancelRequest,
  type DispatchJobInput,
} from '../../orchestrations/dispatchJob/dispatchJobInput';
import { findEventJobs, type InstanceSnapshot, type JobView, type RouteRef } from '../status/jobStatus';

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
  routes: RouteCancel[];
}

const activeRuntime = new Set(['Pending', 'Running', 'ContinuedAsNew']);

/**
 * Cancels every attempt of an event that can still run, route by route, looking only at each route's newest
 * attempt (an older one has settled, or there would be no newer one):
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
  eventId: string,
  request: CancelRequest,
): Promise<CancelResult> {
  const jobs = await findEventJobs(client, routes, eventId);
  const newest = new Map<string, JobView>();
  for (const job of jobs) {
    const seen = newest.get(job.route);
    if (!seen || job.attempt > seen.attempt) newest.set(job.route, job);
  }
  const results: RouteCancel[] = [];
  for (const job of newest.values()) {
    const base = { route: job.route, attempt: job.attempt, instanceId: job.instanceId, phase: job.phase };
    if (activeRuntime.has(job.runtimeStatus)) {
      await client.raiseEvent(job.instanceId, CANCEL_EVENT, request);
      results.push({ ...base, state: 'cancelling' });
    } else if (job.phase === 'Requeued' && job.runtimeStatus === 'Completed') {
      results.push(await cancelScheduledAttempt(client, job, eventId, request));
    } else {
      results.push({ ...base, state: job.phase === 'Cancelled' ? 'cancelled' : 'settled' });
    }
  }
  return { eventId, routes: results };
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
  const instanceId = instanceIdFor(requeued.route, eventId, attempt);
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
