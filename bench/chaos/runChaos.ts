import { Command, InvalidArgumentError } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { machineLine } from '../run';
import { chaosSection, renderChaosSection, replaceSection } from './chaosReport';
import type { ScenarioResult } from './chaosRun';
import { fullSizes, scenarios, shortSizes, type ScenarioName } from './scenarios';

/*
 * `npm run chaos`: every scenario at full size (or `--only`, `--short`), one after the other (they share two
 * cores), then the table merged into bench/results.md between its markers.
 */

const names = Object.keys(scenarios) as ScenarioName[];

function repoRoot(): string {
  // dist/bench/chaos/runChaos.js once built.
  const up = path.resolve(__dirname, '..', '..');
  return path.basename(up) === 'dist' ? path.dirname(up) : up;
}

function parseOnly(value: string, previous: ScenarioName[] = []): ScenarioName[] {
  const out = [...previous];
  for (const part of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(names as string[]).includes(part))
      throw new InvalidArgumentError(
        `--only expects one of ${names.join(', ')} (comma-separated), got "${part}"`,
      );
    out.push(part as ScenarioName);
  }
  return out;
}

function seedArg(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`--seed expects a whole number, got "${value}"`);
  return Number(value);
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('chaos')
    .description(
      'Chaos scenarios against the offline stack, driven from outside; writes the Chaos section of bench/results.md',
    )
    .option('--only <scenarios>', `run only these: ${names.join(', ')}`, parseOnly)
    .option('--short', 'the short sizes npm test uses')
    .option('--seed <n>', 'seed of the fault sequence and the fuzz corpus', seedArg, 11)
    .option('--keep', "keep each scenario's work dir (state, runs file, stack log)")
    .option(
      '--results <file>',
      'markdown file to merge the table into',
      path.join(repoRoot(), 'bench', 'results.md'),
    )
    .option('--parallel', 'run the fuzz scenario alongside the others (each has a stack of its own)')
    .option('--no-write', 'print the section only');
  program.parse(argv);
  const o = program.opts<{
    only?: ScenarioName[];
    short?: boolean;
    seed: number;
    keep?: boolean;
    parallel?: boolean;
    results: string;
    write: boolean;
  }>();
  const sizes = o.short ? shortSizes : fullSizes;
  const log = (line: string): void => void process.stderr.write(`[chaos] ${line}\n`);
  const runOne = async (name: ScenarioName): Promise<ScenarioResult> => {
    log(`${name}: ${sizes[name]}`);
    const result = await scenarios[name](
      {
        repoRoot: repoRoot(),
        log,
        seed: o.seed,
        ...(o.keep ? { keep: true } : {}),
        ...(o.short ? { stallMs: 20_000 } : {}),
      },
      sizes[name],
    );
    log(
      `${name}: ${JSON.stringify({ ...result, findings: result.findings.length, details: result.details.length })}`,
    );
    return result;
  };
  const selected = o.only ?? names;
  // The fuzz scenario mostly waits for poison copies to be redelivered to the end: --parallel overlaps it.
  const fuzz = o.parallel && selected.includes('fuzz') ? runOne('fuzz') : undefined;
  const results: ScenarioResult[] = [];
  for (const name of selected) if (!(fuzz && name === 'fuzz')) results.push(await runOne(name));
  if (fuzz) results.push(await fuzz);
  results.sort(
    (a, b) => names.indexOf(a.scenario as ScenarioName) - names.indexOf(b.scenario as ScenarioName),
  );
  const command = `npm run chaos${argv.length > 2 ? ` -- ${argv.slice(2).join(' ')}` : ''}`;
  const section = renderChaosSection(results, { machine: machineLine(), command });
  process.stdout.write(`${section}\n`);
  if (o.write) {
    const existing = fs.existsSync(o.results) ? fs.readFileSync(o.results, 'utf8') : '# Benchmark results\n';
    fs.writeFileSync(o.results, replaceSection(existing, chaosSection, section));
    log(`results written to ${o.results}`);
  }
  const missed = results.some(
    (r) =>
      r.lost +
        r.extraRuns +
        r.unseenRuns +
        (r.leakedGroups ?? 1) +
        r.crashes +
        r.deadLettersWithoutDispatcherReason +
        r.findings.length >
      0,
  );
  return missed ? 1 : 0;
}

main(process.argv).then(
  // Clients of a killed stack may leave sockets behind: the results are written, so do not hang.
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
