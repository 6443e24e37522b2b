import { userInfo } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import type { CancelResult } from '../../functions/cancel/cancelEventJobs';
import { isConnectionRefused, stackNotRunningMessage } from './stackNotRunning';
import { jobsSettled } from './eventOutcome';
import { formatJobsTable, type WatchedJob } from './watchCommand';

interface CancelFlags {
  api: string;
  key?: string;
  by?: string;
  source?: string;
  wait: boolean;
  timeout: number;
  json?: boolean;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

function headers(key: string | undefined): Record<string, string> {
  return { 'content-type': 'application/json', ...(key ? { 'x-functions-key': key } : {}) };
}

/** The event's URL under the API: by id, or by (source, id) when a source is given. */
function eventUrl(base: string, event: CancelTarget, suffix = ''): string {
  const query = event.source !== undefined ? `?source=${encodeURIComponent(event.source)}` : '';
  return `${base}/events/${encodeURIComponent(event.id)}${suffix}${query}`;
}

/** Which event to cancel: its id, and its source when the id is used by more than one. */
export interface CancelTarget {
  id: string;
  source?: string;
}

/** One POST; the body of 200/202/409 is the cancel result, 404 means the event has no jobs. */
export async function postCancel(
  base: string,
  event: CancelTarget,
  by: string,
  key?: string,
): Promise<{ status: number; result?: CancelResult }> {
  const url = eventUrl(base, event, '/cancel');
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: headers(key), body: JSON.stringify({ by }) });
  } catch (err) {
    if (isConnectionRefused(err) && /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(base))
      throw new Error(stackNotRunningMessage('status API', base, '--api'));
    throw err;
  }
  if (response.status === 404) return { status: 404 };
  const text = await response.text();
  if (![200, 202, 409].includes(response.status))
    throw new Error(`POST ${url}: HTTP ${response.status} ${text}`);
  return { status: response.status, result: JSON.parse(text) as CancelResult };
}

async function eventJobs(base: string, event: CancelTarget, key?: string): Promise<WatchedJob[]> {
  const url = eventUrl(base, event);
  const response = await fetch(url, { headers: headers(key) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { jobs?: WatchedJob[] }).jobs ?? [];
}

/**
 * `dispatcher cancel <eventId>`: asks the app to cancel the event, then (unless --no-wait) follows it until every
 * route's newest attempt has settled, asking again while one still runs: the request is idempotent, and asking
 * again covers a cancel that reached an attempt just as it handed over to the next (a requeue, a continueAsNew).
 */
export function registerCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description(
      'cancel an event: stop its running jobs, delete their groups, dead-letter it with reason Cancelled (exit 0 cancelled, 2 it settled otherwise first, 3 timed out, 4 no such event)',
    )
    .argument('<eventId>', 'the CloudEvent id')
    .option('--api <base>', 'status API base URL', 'http://localhost:7071/api')
    .option('--key <functionKey>', 'function key for an app in Azure (x-functions-key)')
    .option(
      '--by <text>',
      'who cancels and why, for the dead-letter description (default: dispatcher cancel (<user>))',
    )
    .option(
      '--source <source>',
      'the CloudEvent source, when other sources used the same id (default: every source)',
    )
    .option('--no-wait', 'return once the app accepted the cancel')
    .option('--timeout <seconds>', 'give up waiting after this long (exit 3)', positive, 120)
    .option('--json', 'print the final cancel result as JSON')
    .action(async (eventId: string, flags: CancelFlags) => {
      const base = flags.api.replace(/\/+$/, '');
      const by = flags.by ?? `dispatcher cancel (${userInfo().username})`;
      const started = Date.now();
      const event = { id: eventId, ...(flags.source !== undefined ? { source: flags.source } : {}) };
      let answer = await postCancel(base, event, by, flags.key);
      if (answer.status === 404 || !answer.result) {
        const which = flags.source !== undefined ? ` from source ${flags.source}` : '';
        process.stderr.write(`no jobs for event ${eventId}${which}\n`);
        process.exitCode = 4;
        return;
      }
      for (let round = 1; flags.wait && answer.status === 202; round++) {
        if (Date.now() - started > flags.timeout * 1000) {
          process.stderr.write(`still cancelling after ${flags.timeout}s\n`);
          process.exitCode = 3;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
        // Once everything looks settled the answer is final (200 cancelled, 409 settled otherwise, or 202 when a
        // scheduled requeue had to be cancelled too); while it runs, ask again every 5 s in case the cancel
        // reached an attempt just as it handed over (continueAsNew).
        if (jobsSettled(await eventJobs(base, event, flags.key)) || round % 5 === 0)
          answer = await postCancel(base, event, by, flags.key);
      }
      const result = answer.result;
      if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        for (const r of result?.routes ?? [])
          process.stdout.write(
            `${r.source ?? '?'} ${r.route} attempt ${r.attempt} (${r.instanceId}): ${r.state}, phase ${r.phase}\n`,
          );
        if (flags.wait)
          process.stdout.write(`${formatJobsTable(await eventJobs(base, event, flags.key)).join('\n')}\n`);
      }
      process.exitCode = answer.status === 409 ? 2 : answer.status === 202 && flags.wait ? 3 : 0;
    });
}
