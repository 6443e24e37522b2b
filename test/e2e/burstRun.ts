import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetsView } from '../../functions/status/targetStatus';

/**
 * A routes file with one route, `burst` (type `e2e.burst`): each job appends `start <ms>` and `end <ms>` to a run
 * log two seconds apart, so a test can see how many containers really ran at once.
 */
export function writeBurstRoutes(dir: string, capacityWait = 'PT5M'): { routesFile: string; runLog: string } {
  const runLog = join(dir, 'runs.log');
  const routesFile = join(dir, 'routes.json');
  const job = `const fs = require('fs'); const log = process.env.RUN_LOG; fs.appendFileSync(log, 'start ' + Date.now() + '\\n'); setTimeout(() => { fs.appendFileSync(log, 'end ' + Date.now() + '\\n'); }, 2000);`;
  writeFileSync(runLog, '');
  writeFileSync(
    routesFile,
    JSON.stringify({
      routes: [
        {
          name: 'burst',
          match: { type: 'e2e.burst' },
          job: {
            image: 'dispatcher/e2e:1',
            command: ['node', '-e', job],
            cpu: 1,
            memoryInGB: 0.5,
            env: { RUN_LOG: runLog },
          },
          policy: {
            timeout: 'PT1M',
            maxAttempts: 2,
            poll: { initial: 'PT1S', max: 'PT1S' },
            capacityWait,
          },
        },
      ],
    }),
  );
  return { routesFile, runLog };
}

/** Most jobs running at once according to the run log (an end at the same millisecond as a start comes first). */
export function peakRunning(runLog: string): number {
  const points = readFileSync(runLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [what, at] = line.split(' ');
      return [Number(at), what === 'start' ? 1 : -1] as const;
    })
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of points) peak = Math.max(peak, (current += delta));
  return peak;
}

export function finishedRuns(runLog: string): number {
  return readFileSync(runLog, 'utf8').match(/^end /gm)?.length ?? 0;
}

export async function getTargets(httpBase: string): Promise<TargetsView> {
  const response = await fetch(`${httpBase}/targets`);
  if (response.status !== 200) throw new Error(`GET ${httpBase}/targets: HTTP ${response.status}`);
  return (await response.json()) as TargetsView;
}
