import { ServiceBusClient } from '@azure/service-bus';
import type { DeadLetterEntry } from '../../adapters/serviceBus/deadLetterReader';
import { ServiceBusDeadLetterReader } from '../../adapters/serviceBus/serviceBusDeadLetterReader';
import type { JobView } from '../../functions/status/jobStatus';
import { newestAttempts } from '../../functions/status/newestAttempts';

/**
 * What `send --wait`, `send --count` and `watch` know about one event: its jobs from the status API, and, when it
 * has none, why (a rejection from the event ledger when the API reports one, else the dead-letter queue).
 */
export interface Rejection {
  reason: string;
  description: string;
}

export interface EventState {
  status: number;
  jobs: JobView[];
  rejections: Rejection[];
}

export async function fetchEventState(base: string, eventId: string, key?: string): Promise<EventState> {
  const url = `${base}/events/${encodeURIComponent(eventId)}`;
  const response = await fetch(url, { headers: key ? { 'x-functions-key': key } : {} });
  const body = (await response.json().catch(() => ({}))) as {
    jobs?: JobView[];
    state?: string;
    rejection?: Rejection;
  };
  if (!response.ok && response.status !== 404)
    throw new Error(`GET ${url}: HTTP ${response.status} ${JSON.stringify(body)}`);
  // The event ledger's rejection (GET /api/events/{id} with state Rejected): the trigger dead-lettered it.
  const rejections = body.state === 'Rejected' && body.rejection ? [body.rejection] : [];
  return { status: response.status, jobs: body.jobs ?? [], rejections };
}

/** Looks for the event among the dead-letter queue's messages (rejections land there: InvalidEvent, NoRoute). */
export async function findDeadLetters(
  connectionString: string,
  queue: string,
  eventIds: ReadonlySet<string>,
  maxCount = 250,
): Promise<DeadLetterEntry[]> {
  const client = new ServiceBusClient(connectionString);
  try {
    const entries = await new ServiceBusDeadLetterReader(client, queue).peek(maxCount);
    return entries.filter((e) => e.eventId !== null && eventIds.has(e.eventId));
  } finally {
    await client.close();
  }
}

const terminalRuntime = new Set(['Completed', 'Failed', 'Terminated']);

/**
 * Settled when, for every (event, source, route) shown, the newest attempt has finished as anything but Requeued
 * (whose successor is coming), or its orchestration failed or was terminated. The one rule for `send --wait`,
 * `watch <eventId>`, bare `watch` (the newest jobs of any events) and `cancel`.
 */
export function jobsSettled(jobs: readonly JobView[]): boolean {
  const latest = newestAttempts(jobs);
  return (
    latest.length > 0 &&
    latest.every(
      (j) =>
        terminalRuntime.has(j.runtimeStatus) && (j.phase !== 'Requeued' || j.runtimeStatus !== 'Completed'),
    )
  );
}

export function jobsSucceeded(jobs: readonly JobView[]): boolean {
  return newestAttempts(jobs).every((j) => j.phase === 'Succeeded' && j.runtimeStatus === 'Completed');
}

/** Lines that say what became of each attempt: outcome, reason, description, log tail, next attempt due. */
export function describeAttempts(
  jobs: readonly JobView[],
  now: number = Date.now(),
  tailLines = 10,
): string[] {
  const lines: string[] = [];
  for (const job of jobs) {
    const who = `${job.route} attempt ${job.attempt}${job.maxAttempts ? `/${job.maxAttempts}` : ''}`;
    if (job.phase === 'Requeued' && job.nextAttemptAt) {
      const due = Date.parse(job.nextAttemptAt) - now;
      lines.push(
        `${who} requeued: ${job.description ?? job.reason ?? ''}; next attempt due ${job.nextAttemptAt.slice(11, 19)}Z (${due > 0 ? `in ${Math.ceil(due / 1000)}s` : 'now'})`,
      );
    } else if (job.phase === 'DeadLettered') {
      const [summary] = (job.description ?? '').split('\nLog tail:');
      lines.push(`${who} dead-lettered (${job.reason ?? 'unknown reason'}): ${summary ?? ''}`);
      const tail = (job.logTail ?? (job.description ?? '').split('\nLog tail:\n')[1] ?? '').trimEnd();
      if (tail) {
        lines.push('  log tail:');
        for (const line of tail.split('\n').slice(-tailLines)) lines.push(`    ${line}`);
      }
    } else if (job.runtimeStatus === 'Failed' || job.runtimeStatus === 'Terminated') {
      lines.push(`${who}: orchestration ${job.runtimeStatus.toLowerCase()}`);
    }
  }
  return lines;
}

export function describeRejections(eventId: string, rejections: readonly Rejection[]): string[] {
  return rejections.map((r) => `event ${eventId} rejected (${r.reason}): ${r.description}`);
}

/** The job's output (callback or output file), clipped to a line, or why its output file gave none. */
export function describeJobOutput(job: Pick<JobView, 'route' | 'output' | 'outputError'>): string[] {
  if (job.output !== null && job.output !== undefined) {
    const json = JSON.stringify(job.output);
    return [`  ${job.route} result: ${json.length <= 200 ? json : `${json.slice(0, 199)}…`}`];
  }
  return job.outputError ? [`  ${job.route} no result: ${job.outputError}`] : [];
}
