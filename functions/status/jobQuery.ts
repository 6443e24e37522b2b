import { tryParseIsoDuration } from '../../shared/policy/isoDuration';
import type { InstancePageSource } from './instancePages';
import { toJobView, type JobView } from './jobStatus';

/**
 * `GET /api/jobs` over Durable's own query: route, runtime status and created-time filters and paging are the
 * back end's (instanceIdPrefix, runtimeStatus, createdTimeFrom/To, top, continuation token); only `phase`
 * (customStatus, which Durable cannot filter) narrows each page after it is read. Never lists the hub.
 */
export interface JobQuery {
  route?: string;
  phase?: string;
  runtimeStatus?: string[];
  since?: Date;
  until?: Date;
  top: number;
  continuationToken?: string;
}

export interface JobPage {
  jobs: JobView[];
  /** Pass back as `?continuationToken=` for the next page; null when there is none. */
  continuationToken: string | null;
}

export const defaultTop = 50;
export const maxTop = 1000;
/**
 * Back-end pages one request may read while a `phase` filter leaves its page short: a selective phase answers
 * a short page (or none) with a token rather than reading on without bound.
 */
export const maxBackendPagesPerRequest = 5;

const runtimeStatuses = ['Pending', 'Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Terminated'];
const activePhases = [
  'Pending',
  'WaitingForCapacity',
  'Creating',
  'Watching',
  'Stopping',
  'CollectingLogs',
  'Deleting',
  'Settling',
];
const finalPhases = ['Succeeded', 'Requeued', 'DeadLettered', 'Cancelled'];
const routeName = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The runtime statuses an instance in `phase` can have, so the back end filters before the page is read. */
function statusesOfPhase(phase: string): string[] {
  return finalPhases.includes(phase) ? ['Completed'] : ['Pending', 'Running', 'ContinuedAsNew'];
}

/** `since`/`until`: an ISO-8601 date-time, or a duration back from now (`since=PT1H`). */
function parseTime(name: string, text: string, nowMs: number): Date | string {
  if (/^P/i.test(text)) {
    const duration = tryParseIsoDuration(text);
    return duration.ok ? new Date(nowMs - duration.ms) : `${name}: ${duration.message}`;
  }
  const ms = Date.parse(text);
  return /^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(ms)
    ? new Date(ms)
    : `${name}: expected an ISO-8601 date-time or a duration like PT1H, got "${text}"`;
}

/** Parses `?route=&phase=&status=&since=&until=&top=&continuationToken=`; an error names the bad parameter. */
export function parseJobQuery(
  params: URLSearchParams,
  nowMs: number,
): { ok: true; query: JobQuery } | { ok: false; message: string } {
  const query: JobQuery = { top: defaultTop };
  const route = params.get('route');
  if (route) {
    if (!routeName.test(route))
      return { ok: false, message: `route: expected a route name (a-z, 0-9, '-'), got "${route}"` };
    query.route = route;
  }
  const phase = params.get('phase');
  if (phase) {
    const known = [...activePhases, ...finalPhases].find((p) => p.toLowerCase() === phase.toLowerCase());
    if (!known)
      return {
        ok: false,
        message: `phase: expected one of ${[...activePhases, ...finalPhases].join(', ')}, got "${phase}"`,
      };
    query.phase = known;
  }
  const status = params.get('status');
  if (status) {
    const parts = status
      .split(',')
      .map((part) => runtimeStatuses.find((s) => s.toLowerCase() === part.trim().toLowerCase()) ?? part);
    const bad = parts.find((part) => !runtimeStatuses.includes(part));
    if (bad !== undefined)
      return {
        ok: false,
        message: `status: expected runtime statuses from ${runtimeStatuses.join(', ')}, got "${bad}"`,
      };
    query.runtimeStatus = parts;
  }
  for (const name of ['since', 'until'] as const) {
    const text = params.get(name);
    if (!text) continue;
    const value = parseTime(name, text, nowMs);
    if (typeof value === 'string') return { ok: false, message: value };
    query[name] = value;
  }
  const top = params.get('top');
  if (top !== null && top !== '') {
    const n = Number(top);
    if (!Number.isInteger(n) || n < 1 || n > maxTop) {
      return { ok: false, message: `top: expected an integer from 1 to ${maxTop}, got "${top}"` };
    }
    query.top = n;
  }
  const token = params.get('continuationToken');
  if (token) query.continuationToken = token;
  return { ok: true, query };
}

/**
 * One page of dispatch jobs, newest first within the page. Each back-end request asks for exactly the jobs
 * still missing, so the back end's token always resumes right after the last job returned.
 */
export async function listJobs(pages: InstancePageSource, query: JobQuery): Promise<JobPage> {
  const phaseStatuses = query.phase ? statusesOfPhase(query.phase) : undefined;
  const runtimeStatus = query.runtimeStatus
    ? query.runtimeStatus.filter((s) => phaseStatuses === undefined || phaseStatuses.includes(s))
    : phaseStatuses;
  if (runtimeStatus && runtimeStatus.length === 0) return { jobs: [], continuationToken: null };
  const jobs: JobView[] = [];
  let token = query.continuationToken;
  for (let read = 0; read < maxBackendPagesPerRequest && jobs.length < query.top; read++) {
    const page = await pages({
      top: query.top - jobs.length,
      ...(query.route ? { instanceIdPrefix: `${query.route}-` } : {}),
      ...(runtimeStatus ? { runtimeStatus } : {}),
      ...(query.since ? { createdTimeFrom: query.since } : {}),
      ...(query.until ? { createdTimeTo: query.until } : {}),
      ...(token ? { continuationToken: token } : {}),
    });
    for (const instance of page.instances) {
      const job = toJobView(instance);
      if (job && (query.phase === undefined || job.phase === query.phase)) jobs.push(job);
    }
    token = page.continuationToken;
    if (!token) break;
  }
  jobs.sort((a, b) => b.createdTime.localeCompare(a.createdTime) || b.instanceId.localeCompare(a.instanceId));
  return { jobs, continuationToken: token ?? null };
}
