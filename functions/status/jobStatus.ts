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
  createdTime: Date | string;
  lastUpdatedTime: Date | string;
}

export interface StatusReader {
  getStatus(instanceId: string): Promise<InstanceSnapshot>;
  getStatusAll(): Promise<InstanceSnapshot[]>;
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
  };
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

export interface JobQuery {
  phase?: string;
  route?: string;
  top?: number;
}

export const defaultTop = 50;
export const maxTop = 1000;

/** Parses `?phase=&route=&top=`; returns an error message naming the bad parameter. */
export function parseJobQuery(
  params: URLSearchParams,
): { ok: true; query: JobQuery } | { ok: false; message: string } {
  const query: JobQuery = {};
  const phase = params.get('phase');
  if (phase) query.phase = phase;
  const route = params.get('route');
  if (route) query.route = route;
  const top = params.get('top');
  if (top !== null && top !== '') {
    const n = Number(top);
    if (!Number.isInteger(n) || n < 1 || n > maxTop) {
      return { ok: false, message: `top: expected an integer from 1 to ${maxTop}, got "${top}"` };
    }
    query.top = n;
  }
  return { ok: true, query };
}

/** Dispatch jobs, newest first, filtered by phase (case-insensitive) and route. */
export async function listJobs(reader: StatusReader, query: JobQuery = {}): Promise<JobView[]> {
  const all = await reader.getStatusAll();
  const phase = query.phase?.toLowerCase();
  return all
    .map(toJobView)
    .filter((job): job is JobView => job !== undefined)
    .filter(
      (job) =>
        (phase === undefined || job.phase.toLowerCase() === phase) &&
        (query.route === undefined || job.route === query.route),
    )
    .sort((a, b) => b.createdTime.localeCompare(a.createdTime) || b.instanceId.localeCompare(a.instanceId))
    .slice(0, query.top ?? defaultTop);
}
