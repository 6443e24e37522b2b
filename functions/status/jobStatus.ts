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
}

export interface JobView {
  instanceId: string;
  route: string;
  attempt: number;
  /** The orchestration's phase (Creating, Watching, ..., Succeeded, Requeued, DeadLettered); `Pending` before it ran. */
  phase: string;
  runtimeStatus: string;
  exitCode: number | null;
  containerGroup: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  reason: string | null;
  /** The CloudEvent id (from customStatus); null for an instance that has not reported yet. */
  eventId: string | null;
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
  /** What the job reported in its callback, once the attempt settled; null when it reported nothing. */
  output: unknown;
  /** Only while phase is WaitingForCapacity: the target, the queue there as last reported, and since when. */
  admission?: { target: string; queueLength: number | null; since: string };
}

export interface RouteRef {
  name: string;
  maxAttempts: number;
}

const instanceIdPattern = /^(?<route>[a-z0-9]+(?:-[a-z0-9]+)*)-(?<hash>[0-9a-f]{16})-a(?<attempt>\d+)$/;

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
  return {
    instanceId: instance.instanceId,
    route,
    attempt,
    phase: typeof custom?.phase === 'string' ? custom.phase : 'Pending',
    runtimeStatus: instance.runtimeStatus,
    exitCode: typeof custom?.exitCode === 'number' ? custom.exitCode : null,
    containerGroup: typeof custom?.containerGroup === 'string' ? custom.containerGroup : null,
    createdTime: iso(instance.createdTime),
    lastUpdatedTime: iso(instance.lastUpdatedTime),
    reason: typeof custom?.reason === 'string' ? custom.reason : null,
    eventId: text(custom?.eventId),
    maxAttempts: typeof custom?.maxAttempts === 'number' ? custom.maxAttempts : null,
    polls: typeof custom?.polls === 'number' ? custom.polls : 0,
    deadline: text(custom?.deadline),
    target: targetText(custom?.target),
    description: text(output?.description),
    nextAttemptAt: text(output?.scheduledEnqueueTime),
    logTail: text(output?.logTail),
    callback: typeof custom?.callback === 'string' ? custom.callback : null,
    output: record(instance.output)?.output ?? null,
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

/**
 * Every job of one event: for each route, attempts 1, 2, ... by their deterministic instance ids until one
 * does not exist (attempt n+1 is only started by attempt n's requeued copy). Ordered by route, then attempt.
 */
export async function findEventJobs(
  reader: StatusReader,
  routes: readonly RouteRef[],
  eventId: string,
): Promise<JobView[]> {
  const perRoute = await Promise.all(
    routes.map(async (route) => {
      const jobs: JobView[] = [];
      for (let attempt = 1; attempt <= Math.max(1, route.maxAttempts); attempt++) {
        let instance: InstanceSnapshot;
        try {
          instance = await reader.getStatus(instanceIdFor(route.name, eventId, attempt));
        } catch (err) {
          if (isNotFound(err)) break;
          throw err;
        }
        const view = toJobView(instance);
        if (view) jobs.push(view);
      }
      return jobs;
    }),
  );
  return perRoute.flat();
}
