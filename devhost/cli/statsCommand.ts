import { Command } from 'commander';
import type { RouteStats } from '../../functions/stats/routeStats';
import { isConnectionRefused, stackNotRunningMessage } from './stackNotRunning';

interface StatsFlags {
  api: string;
  key?: string;
  json?: boolean;
  since?: string;
}

/** ROUTE RECEIVED SUCCEEDED REQUEUED DEAD-LETTERED RUNNING WAITING FAILED, dead letters broken down by reason. */
export function formatStatsTable(routes: readonly RouteStats[]): string[] {
  const header = [
    'ROUTE',
    'RECEIVED',
    'SUCCEEDED',
    'REQUEUED',
    'DEAD-LETTERED',
    'RUNNING',
    'WAITING',
    'FAILED',
  ];
  const rows = routes.map((r) => [
    r.route,
    String(r.received),
    String(r.succeeded),
    String(r.requeued),
    deadLetterCell(r.deadLettered),
    String(r.running),
    String(r.waiting),
    String(r.failed),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function deadLetterCell(dead: RouteStats['deadLettered']): string {
  const reasons = Object.entries(dead.byReason)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `${reason}=${n}`);
  return reasons.length === 0 ? String(dead.total) : `${dead.total} (${reasons.join(', ')})`;
}

/** `dispatcher stats`: per-route counts from the status API's `GET /stats`. */
export function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description(
      'per route: events received, succeeded, requeued, dead-lettered by reason, running, waiting for capacity (from the orchestrations)',
    )
    .option('--api <base>', 'status API base URL', 'http://localhost:7071/api')
    .option('--key <functionKey>', 'function key for an app in Azure (x-functions-key)')
    .option('--since <time>', 'only jobs created at or after this ISO-8601 time')
    .option('--json', 'print the API answer as JSON')
    .action(async (flags: StatsFlags) => {
      const base = flags.api.replace(/\/+$/, '');
      const url = `${base}/stats${flags.since ? `?since=${encodeURIComponent(flags.since)}` : ''}`;
      let response: Response;
      try {
        response = await fetch(url, { headers: flags.key ? { 'x-functions-key': flags.key } : {} });
      } catch (err) {
        if (isConnectionRefused(err)) throw new Error(stackNotRunningMessage('status API', base, '--api'));
        throw new Error(`cannot reach ${url}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${await response.text()}`);
      const body = (await response.json()) as { routes: RouteStats[] };
      process.stdout.write(
        flags.json ? `${JSON.stringify(body, null, 2)}\n` : `${formatStatsTable(body.routes).join('\n')}\n`,
      );
    });
}
