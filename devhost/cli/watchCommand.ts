import { Command, InvalidArgumentError } from 'commander';
import type { EventJobView } from '../../functions/status/eventView';
import { newestAttempts } from '../../functions/status/newestAttempts';
import { describeAttempts, describeJobOutput, jobsSettled } from './eventOutcome';
import { isConnectionRefused, stackNotRunningMessage } from './stackNotRunning';

/** One row of the status API (`GET /api/events/{id}` or `/api/jobs`): the API's own type. */
export type WatchedJob = EventJobView;

/**
 * What `watch` shows for a set of jobs: the table, then when each requeue's next attempt is due, each dead
 * letter's reason and log tail, and each settled job's result (or why its output file gave none).
 */
export function watchLines(jobs: readonly WatchedJob[]): string[] {
  const settled = newestAttempts(jobs).filter((j) => j.runtimeStatus === 'Completed');
  return [...formatJobsTable(jobs), ...describeAttempts(jobs), ...settled.flatMap(describeJobOutput)];
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** A compact fixed-width table: ROUTE ATTEMPT PHASE STATUS EXIT REASON. */
export function formatJobsTable(jobs: readonly WatchedJob[]): string[] {
  const rows = jobs.map((j) => [
    j.route,
    String(j.attempt),
    j.phase,
    j.runtimeStatus,
    j.exitCode === null ? '-' : String(j.exitCode),
    j.reason ?? (j.admission ? describeWaiting(j.admission) : ''),
  ]);
  const header = ['ROUTE', 'ATTEMPT', 'PHASE', 'STATUS', 'EXIT', 'REASON'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `capacity on <subscription>/<region> since 10:41:07, 12 waiting` (admission, phase WaitingForCapacity). */
export function describeWaiting(admission: NonNullable<WatchedJob['admission']>): string {
  const since = admission.since.slice(11, 19);
  const queue = admission.queueLength === null ? '' : `, ${admission.queueLength} waiting`;
  return `capacity on ${admission.target} since ${since}${queue}`;
}

interface WatchFlags {
  api: string;
  interval: number;
  timeout?: number;
  key?: string;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

/** An event the trigger dead-lettered before any job ran (`GET /api/events/{id}` from the event ledger). */
interface Rejection {
  reason: string;
  description: string;
}

async function fetchJobs(
  url: string,
  key: string | undefined,
): Promise<{ status: number; jobs: WatchedJob[]; rejection?: Rejection }> {
  const response = await fetch(url, { headers: key ? { 'x-functions-key': key } : {} });
  if (response.status === 404) return { status: 404, jobs: [] };
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { jobs?: WatchedJob[]; state?: string; rejection?: Rejection };
  return {
    status: response.status,
    jobs: body.jobs ?? [],
    ...(body.state === 'Rejected' && body.rejection ? { rejection: body.rejection } : {}),
  };
}

/** Fails with the stack-not-running message when a local status API refuses connections. */
export async function assertApiReachable(base: string): Promise<void> {
  try {
    await fetch(`${base}/health`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    if (isConnectionRefused(err) && isLocalUrl(base))
      throw new Error(stackNotRunningMessage('status API', base, '--api'));
  }
}

function isLocalUrl(base: string): boolean {
  try {
    return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(base).hostname);
  } catch {
    return false;
  }
}

/** `dispatcher watch [eventId]`: follows one event's jobs, or the newest jobs, until they settle. */
export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description(
      "follow an event's jobs, or the newest jobs, until they settle (exit 0 all succeeded, 2 something dead-lettered)",
    )
    .argument('[eventId]', 'the CloudEvent id printed by `dispatcher send`')
    .option('--api <base>', 'status API base URL', 'http://localhost:7071/api')
    .option('--interval <seconds>', 'poll interval', positive, 1)
    .option('--timeout <seconds>', 'give up after this long (exit 3)', positive)
    .option('--key <functionKey>', 'function key for an app in Azure (x-functions-key)')
    .action(async (eventId: string | undefined, flags: WatchFlags) => {
      const base = flags.api.replace(/\/+$/, '');
      const url = eventId ? `${base}/events/${encodeURIComponent(eventId)}` : `${base}/jobs?top=20`;
      const tty = process.stdout.isTTY === true;
      const started = Date.now();
      let drawnLines = 0;
      let lastText = '';
      const draw = (lines: string[]): void => {
        const text = lines.join('\n');
        if (text === lastText) return;
        lastText = text;
        if (tty) {
          if (drawnLines > 0) process.stdout.write(`\x1b[${drawnLines}A\x1b[J`);
          process.stdout.write(`${text}\n`);
          drawnLines = lines.length;
        } else {
          process.stdout.write(`${text}\n`);
        }
      };
      let stop = false;
      process.once('SIGINT', () => (stop = true));
      while (!stop) {
        let lines: string[];
        let jobs: WatchedJob[] = [];
        let rejection: Rejection | undefined;
        try {
          const result = await fetchJobs(url, flags.key);
          jobs = result.jobs;
          rejection = result.rejection;
          lines =
            result.status === 404
              ? [`waiting for event ${eventId ?? ''}...`]
              : jobs.length === 0
                ? ['no jobs yet']
                : watchLines(jobs);
        } catch (err) {
          // A local stack that is not (or no longer) running will not come back by itself: say so and stop.
          if (isConnectionRefused(err) && isLocalUrl(base))
            throw new Error(stackNotRunningMessage('status API', base, '--api'));
          lines = [`cannot reach ${url}: ${err instanceof Error ? err.message : String(err)}`];
        }
        if (tty)
          lines.push(
            `${new Date().toISOString().slice(11, 19)}  ${eventId ? `event ${eventId}` : 'newest jobs'}  (Ctrl-C to stop)`,
          );
        if (eventId && rejection) {
          // No job will ever run: the trigger dead-lettered it.
          draw([`event ${eventId} was rejected (${rejection.reason}): ${rejection.description}`]);
          process.exitCode = 2;
          return;
        }
        draw(lines);
        if (jobsSettled(jobs)) {
          // Each attempt's archived log (rows of GET /api/events/{id} carry it).
          for (const job of jobs.filter((j) => j.logUrl))
            process.stdout.write(`log ${job.route} a${job.attempt}: ${job.logUrl}\n`);
          process.exitCode = jobs.some(
            (j) => j.phase === 'DeadLettered' || j.phase === 'Cancelled' || j.runtimeStatus !== 'Completed',
          )
            ? 2
            : 0;
          return;
        }
        if (flags.timeout !== undefined && Date.now() - started > flags.timeout * 1000) {
          process.stderr.write(`timed out after ${flags.timeout}s\n`);
          process.exitCode = 3;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, flags.interval * 1000));
      }
    });
}
