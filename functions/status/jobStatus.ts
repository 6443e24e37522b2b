import { isNotFound } from '../../shared/errors/isNotFound';
import { instanceIdFor } from '../../shared/naming/dispatchNames';

/**
 * The read side of the status API: job views built from orchestration instances and their customStatus
 * (`{ phase, route, eventId, attempt, maxAttempts, containerGroup, exitCode?, polls, deadline, reason? }`).
 * Works against anything shaped like durable-functions' DurableClient, so the same code runs in Azure, on the
 * offline stack and in tests.
 */

/** The part of DurableOrchestrationStatus the status API reads. */
export interface InstanceSnapshot {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  customStatus?: unknown;
  /** The orchestration output once it completed (DispatchJobSettlement). */
  output?: unknown;
  createdTime: Date | string;
  lastUpdatedTime: Date | string;
}

export interface StatusReader {
  getStatus(instanceId: string): Promise<InstanceSnapshot>;
  /** Every instance (the Durable client has it): lets an event be found by its id alone. */
  getStatusAll?(): Promise<InstanceSnapshot[]>;
}

export interface JobView {
  instanceId: string;
  /** The event's identity; null before the instance first ran (no customStatus yet). */
  eventId: string | null;
  eventSource: string | null;
  route: string;
  attempt: number;
  /** Resubmission generation (0: the original delivery). */
  resubmission: number;
  /** The orchestration's phase (Creating, Watching, ..., Succeeded, Requeued, DeadLettered); `Pending` before it ran. */
  phase: string;
  runtimeStatus: string;
  exitCode: number | null;
  containerGroup: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  reason: string | null;
  maxAttempts: number | null;
  polls: number;
  /** ISO-8601: when the attempt's deadline falls. */
  deadline: string | null;
  /** `<resourceGroup>/<location>` where the job runs, once created. */
  target: string | null;
  /** Dead-letter description or the requeued copy's last error, once settled. */
  description: string | null;
  /** ISO-8601: when a requeued attempt's copy is due. */
  nextAttemptAt: string | null;
  /** The tail of the job's log collected before its group was deleted. */
  logTail: string | null;
  /** Callback routes: `waiting` or `received`; null for polled routes. */
  callback: string | null;
  /** What the job reported (callback, else output file), once the attempt settled; null when nothing. */
  output: unknown;
  /** Routes with an output file that gave no output: why (missing, too big, not JSON, cut log); else null. */
  outputError: string | null;
  /** Only while phase is WaitingForCapacity: the target, the queue there as last reported, and since when. */
  admission?: { target: string; queueLength: number | null; since: string };
}

export interface RouteRef {
  name: string;
  maxAttempts: number;
}

const instanceIdPattern =
  /^(?<route>[a-z0-9]+(?:-[a-z0-9]+)*)-(?<hash>[0-9a-f]{16})(?:-g(?<generation>\d+))?-a(?<attempt>\d+)$/;

function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A job view of one instance, or undefined when the instance is not a dispatch job. */
export function toJobView(instance: InstanceSnapshot): JobView | undefined {
  const custom = record(instance.customStatus);
  const output = record(instance.output);
  const parsed = instanceIdPattern.exec(instance.instanceId)?.groups;
  const route = typeof custom?.route === 'string' ? custom.route : parsed?.route;
  const attempt =
    typeof custom?.attempt === 'number'
      ? custom.attempt
      : parsed?.attempt
        ? Number(parsed.attempt)
        : undefined;
  if (route === undefined || attempt === undefined) return undefined;
  const generation =
    typeof custom?.resubmission === 'number' ? custom.resubmission : Number(parsed?.generation ?? 0);
  return {
    instanceId: instance.instanceId,
    eventId: typeof custom?.eventId === 'string' ? custom.eventId : null,
    eventSource: typeof custom?.eventSource === 'string' ? custom.eventSource : null,
    route,
    attempt,
    resubmission: generation,
    phase: typeof custom?.phase === 'string' ? custom.phase : 'Pending',
    runtimeStatus: instance.runtimeStatus,
    exitCode: typeof custom?.exitCode === 'number' ? custom.exitCode : null,
    containerGroup: typeof custom?.containerGroup === 'string' ? custom.containerGroup : null,
    createdTime: iso(instance.createdTime),
    lastUpdatedTime: iso(instance.lastUpdatedTime),
    reason: typeof custom?.reason === 'string' ? custom.reason : null,
    maxAttempts: typeof custom?.maxAttempts === 'number' ? custom.maxAttempts : null,
    polls: typeof custom?.polls === 'number' ? custom.polls : 0,
    deadline: text(custom?.deadline),
    target: targetText(custom?.target),
    description: text(output?.description),
    nextAttemptAt: text(output?.scheduledEnqueueTime),
    logTail: text(output?.logTail),
    callback: typeof custom?.callback === 'string' ? custom.callback : null,
    output: output?.output ?? null,
    outputError: text(output?.outputError),
    ...waitingFor(custom),
  };
}

function waitingFor(custom: Record<string, unknown> | undefined): Pick<JobView, 'admission'> {
  const admission = record(custom?.admission);
  if (custom?.phase !== 'WaitingForCapacity' || !admission) return {};
  if (typeof admission.target !== 'string' || typeof admission.since !== 'string') return {};
  return {
    admission: {
      target: admission.target,
      queueLength: typeof admission.queueLength === 'number' ? admission.queueLength : null,
      since: admission.since,
    },
  };
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function targetText(value: unknown): string | null {
  const target = record(value);
  if (!target) return null;
  const group = text(target.resourceGroup);
  const location = text(target.location);
  return group === null ? location : location === null ? group : `${group}/${location}`;
}

/** Which event: `source` and `id`, or `id` alone (every source that used it). */
export interface EventQuery {
  id: string;
  source?: string;
}

/**
 * Every job of one event. With a source, by deterministic instance ids: for each route, attempts 1, 2, ... until
 * one does not exist (attempt n+1 is only started by attempt n's requeued copy), in generation 0 and every
 * resubmission generation after it that has a first attempt. With the id alone, by scanning the instances'
 * customStatus (eventId, eventSource): every source that used the id. Ordered by (source,) route,
 * generation, attempt.
 */
export async function findEventJobs(
  reader: StatusReader,
  routes: readonly RouteRef[],
  query: EventQuery,
): Promise<JobView[]> {
  if (query.source === undefined) return findById(reader, query.id);
  const identity = { source: query.source, id: query.id };
  const perRoute = await Promise.all(
    routes.map(async (route) => {
      const jobs: JobView[] = [];
      for (let generation = 0; ; generation++) {
        const before = jobs.length;
        for (let attempt = 1; attempt <= Math.max(1, route.maxAttempts); attempt++) {
          let instance: InstanceSnapshot;
          try {
            instance = await reader.getStatus(instanceIdFor(route.name, identity, attempt, generation));
          } catch (err) {
            if (isNotFound(err)) break;
            throw err;
          }
          const view = toJobView(instance);
          if (view) jobs.push(view);
        }
        if (generation > 0 && jobs.length === before) break;
      }
      return jobs;
    }),
  );
  return perRoute.flat();
}

async function findById(reader: StatusReader, id: string): Promise<JobView[]> {
  if (!reader.getStatusAll) return [];
  const jobs = (await reader.getStatusAll())
    .map(toJobView)
    .filter((job): job is JobView => job !== undefined && job.eventId === id);
  return jobs.sort(
    (a, b) =>
      (a.eventSource ?? '').localeCompare(b.eventSource ?? '') ||
      a.route.localeCompare(b.route) ||
      a.resubmission - b.resubmission ||
      a.attempt - b.attempt,
  );
}
