import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** The route every valid chaos event matches; its job records each run and exits 0. */
export const recordRoute = 'chaos-record';
export const recordType = 'chaos.record';
/** A second route, never matched by chaos events: a run of it means a forged `dispatch-route` was obeyed. */
export const otherRoute = 'chaos-other';
export const otherType = 'chaos.other';
/** Attempts per event on both routes. */
export const maxAttempts = 3;
/** An event whose data has this flag fails its first attempt (exit 1), so requeues happen in every scenario. */
export const failFirstFlag = '"failFirst":true';

/**
 * The job: one `sh` per run (cheap next to the stack) appending `<group name> <pid> <event JSON>` as ONE write
 * to the runs file, so concurrent runs cannot interleave a line. `HOSTNAME` is the container group's name (the
 * ACI emulator sets it), unique per (event, route, attempt) and ending in `-a<attempt>`; the event JSON has its
 * line breaks flattened so that one run is one line.
 */
function recordCommand(runsFile: string): string[] {
  const script = [
    `line="$HOSTNAME $$ $(printf '%s' "$DISPATCH_EVENT" | tr '\\n\\r' '  ')"`,
    `printf '%s\\n' "$line" >> '${runsFile}'`,
    `case "$DISPATCH_EVENT" in *'${failFirstFlag}'*) case "$HOSTNAME" in *-a1) exit 1;; esac;; esac`,
    'exit 0',
  ].join('; ');
  return ['sh', '-c', script];
}

function route(name: string, type: string, runsFile: string): Record<string, unknown> {
  return {
    name,
    description: 'chaos suite: records every run of the job',
    match: { type },
    job: { image: 'chaos/record:1', command: recordCommand(runsFile), cpu: 0.1, memoryInGB: 0.1 },
    policy: {
      timeout: 'PT2M',
      maxAttempts,
      backoff: { initial: 'PT1S', factor: 2, max: 'PT4S' },
      poll: { initial: 'PT0.5S', max: 'PT2S' },
    },
  };
}

/** Writes the chaos routes file. */
export function writeChaosRoutes(routesFile: string, runsFile: string): void {
  if (/'/.test(runsFile)) throw new Error(`runs file path ${runsFile} must not contain a single quote`);
  writeFileSync(
    routesFile,
    `${JSON.stringify({ routes: [route(recordRoute, recordType, runsFile), route(otherRoute, otherType, runsFile)] }, null, 2)}\n`,
  );
}

/** One recorded run of a job. */
export interface JobRun {
  group: string;
  /** From the group name's `-a<n>` tail; undefined if the name has none. */
  attempt: number | undefined;
  route: string;
  pid: number;
  eventId?: string;
  source?: string;
}

export interface RunsSummary {
  runs: JobRun[];
  /** Runs of a group beyond its first, summed over groups: a job that ran twice for one attempt. */
  extraRuns: number;
  groupsRunMoreThanOnce: string[];
  /** Lines that could not be read (interleaved or cut writes). */
  unreadable: number;
}

/** Reads the runs file the jobs appended to. */
export function readRuns(runsFile: string): RunsSummary {
  const runs: JobRun[] = [];
  let unreadable = 0;
  const text = existsSync(runsFile) ? readFileSync(runsFile, 'utf8') : '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = /^(\S+) (\d+) (.*)$/.exec(line);
    if (!match) {
      unreadable++;
      continue;
    }
    const [, group = '', pid = '0', json = ''] = match;
    const run: JobRun = {
      group,
      attempt: /-a(\d+)$/.exec(group)?.[1] !== undefined ? Number(/-a(\d+)$/.exec(group)?.[1]) : undefined,
      route: group.startsWith(otherRoute) ? otherRoute : group.startsWith(recordRoute) ? recordRoute : '?',
      pid: Number(pid),
    };
    try {
      const event = JSON.parse(json) as { id?: unknown; source?: unknown };
      if (typeof event.id === 'string') run.eventId = event.id;
      if (typeof event.source === 'string') run.source = event.source;
    } catch {
      unreadable++;
    }
    runs.push(run);
  }
  const perGroup = new Map<string, number>();
  for (const run of runs) perGroup.set(run.group, (perGroup.get(run.group) ?? 0) + 1);
  const again = [...perGroup].filter(([, n]) => n > 1);
  return {
    runs,
    extraRuns: again.reduce((sum, [, n]) => sum + n - 1, 0),
    groupsRunMoreThanOnce: again.map(([g]) => g),
    unreadable,
  };
}
