import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from '../../bench/chaos/chaosRun';
import { scenarios, shortSizes, type ScenarioName } from '../../bench/chaos/scenarios';

/**
 * The short version of every `npm run chaos` scenario (bench/chaos/), against `node bin/dispatcher.js dev` in a
 * process group of its own, driven only from outside. Each asserts the targets: 0 lost, 0 job runs beyond one
 * per attempt, 0 reruns of jobs whose attempt settled without seeing them end, 0 leaked groups, 0 stack crashes,
 * every dead letter with a dispatcher reason, and no other finding. A target the product does not meet yet is
 * listed below with the reason; it is then reported, not asserted (these misses are probabilistic under faults
 * and kills, so "still missed" cannot be asserted either). Remove an entry once the product meets it.
 */
const repoRoot = join(__dirname, '..', '..');

type Target =
  | 'lost'
  | 'extraRuns'
  | 'unseenRuns'
  | 'leakedGroups'
  | 'crashes'
  | 'deadLettersWithoutDispatcherReason'
  | 'findings';

/** Known misses per scenario: target -> why (see bench/results.md, "Chaos"). */
const knownMisses: Record<ScenarioName, Partial<Record<Target, string>>> = {
  // KNOWN MISS, seen once: in an 18-event run one attempt's group ran its job twice across a kill -9 of the stack
  // (the 500-event runs show 0). A window that explains it is closed: an ACI emulator killed while spawning a
  // container's supervisor left a running job without a record, the restarted emulator reported the deployment
  // failed, and the group was replaced and ran again; the supervisor now writes its own record before the job
  // starts. Kept as reported-not-asserted until runs show it gone.
  crash: {
    extraRuns: 'a group ran its job twice across kill -9 (seen once; likely cause closed, see above)',
  },
  faults: {},
  restarts: {},
  duplicates: {},
  fuzz: {},
};

/** Findings that are known misses, by pattern -> why; every other finding fails the test. */
const knownFindings: Array<[RegExp, string]> = [];

function measured(result: ScenarioResult, target: Target): number {
  if (target === 'findings') return result.findings.length;
  if (target === 'leakedGroups') return result.leakedGroups ?? Number.NaN;
  return result[target];
}

const targets: Target[] = [
  'lost',
  'extraRuns',
  'unseenRuns',
  'leakedGroups',
  'crashes',
  'deadLettersWithoutDispatcherReason',
  'findings',
];

/**
 * All five run at once, each against a stack of its own: the short versions mostly wait (for jobs, backoff,
 * restarts), so together they take about as long as the slowest one.
 */
const runs = new Map<ScenarioName, Promise<{ result?: ScenarioResult; error?: unknown; log: string[] }>>();

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist', 'devhost', 'cli', 'main.js')))
    throw new Error('dist/ is missing: run "npm run build" before the chaos tests (npm test does)');
  for (const name of Object.keys(scenarios) as ScenarioName[]) {
    const log: string[] = [];
    runs.set(
      name,
      scenarios[name](
        { repoRoot, seed: 11, stallMs: 20_000, log: (line) => log.push(line) },
        shortSizes[name],
      ).then(
        (result) => ({ result, log }),
        (error: unknown) => ({ error, log }),
      ),
    );
  }
});

describe.each(Object.keys(scenarios) as ScenarioName[])('chaos, short: %s', (name) => {
  it(`meets its targets (${shortSizes[name]} ${name === 'fuzz' ? 'messages' : 'events'})`, async () => {
    const { result, error, log } = (await runs.get(name)) ?? { log: [] };
    if (!result) throw error instanceof Error ? error : new Error(String(error));
    const report = `${JSON.stringify(result, null, 2)}\n${log.join('\n')}`;
    expect(result.sent).toBeGreaterThan(0);
    const unknownFindings = result.findings.filter(
      (f) => !knownFindings.some(([pattern]) => pattern.test(f)),
    );
    for (const target of targets) {
      const value = target === 'findings' ? unknownFindings.length : measured(result, target);
      if (value !== 0 && knownMisses[name][target] === undefined)
        throw new Error(`${name}: ${target} = ${value}, target 0\n${report}`);
    }
    // The scenario really ran jobs.
    expect(result.succeeded).toBeGreaterThan(0);
  }, 300_000);
});
