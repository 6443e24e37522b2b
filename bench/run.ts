import { Command, InvalidArgumentError } from 'commander';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { measureAdmission, renderAdmissionSection } from './admissionBench';
import { DEFAULT_POLLS_PER_EXECUTION, HOUR_MS, measureCostPerJob, measureDetectionSweep } from './costPerJob';
import { renderCostSection } from './costReport';
import { measureCompletion } from './completion';
import { renderCompletionSection } from './completionReport';
import { measureLiveCallback } from './liveCallback';
import { measureReplayCost } from './replayCost';
import { renderReplaySection } from './replayReport';
import { DEFAULT_LOAD_EVENTS, measureThroughput, renderThroughputSection } from './throughput';

/*
 * `npm run bench`: every section standalone (`--only`), printed as markdown and merged into bench/results.md,
 * where each section sits between markers so running one section keeps the others' last results.
 */

export const SECTIONS = ['cost', 'completion', 'throughput', 'replay', 'admission'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  only?: Section[];
  events: number;
  naiveBudgetSeconds: number;
  /** Where results.md goes; default bench/results.md of the repository. */
  resultsFile: string;
}

function repoRoot(): string {
  // dist/bench/run.js once built; bench/run.ts under ts-jest.
  const up = path.resolve(__dirname, '..');
  return path.basename(up) === 'dist' ? path.dirname(up) : up;
}

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${flag} expects a positive integer, got "${value}"`);
    return n;
  };
}

function parseSections(value: string, previous: Section[] | undefined): Section[] {
  const out = [...(previous ?? [])];
  for (const part of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(SECTIONS as readonly string[]).includes(part)) {
      throw new InvalidArgumentError(
        `--only expects one of ${SECTIONS.join(', ')} (comma-separated), got "${part}"`,
      );
    }
    out.push(part as Section);
  }
  return out;
}

export function parseBenchArgs(
  argv: string[],
  writeErr: (text: string) => void = (t) => process.stderr.write(t),
): BenchOptions {
  const program = new Command('bench')
    .description(
      'Dispatcher benchmarks: orchestration cost per job, local-stack throughput, replay CPU, burst admission',
    )
    .option(
      '--only <sections>',
      `run only these sections: ${SECTIONS.join(', ')} (comma-separated or repeated)`,
      parseSections,
    )
    .option('--events <n>', 'events for the throughput run', positiveInt('--events'), DEFAULT_LOAD_EVENTS)
    .option(
      '--naive-budget <seconds>',
      'real-time budget per naive-monitor run before it is capped',
      positiveInt('--naive-budget'),
      60,
    )
    .option(
      '--results <file>',
      'markdown file to merge the results into',
      path.join(repoRoot(), 'bench', 'results.md'),
    )
    .exitOverride()
    .configureOutput({ writeErr });
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ only?: Section[]; events: number; naiveBudget: number; results: string }>();
  return {
    ...(o.only ? { only: o.only } : {}),
    events: o.events,
    naiveBudgetSeconds: o.naiveBudget,
    resultsFile: path.resolve(o.results),
  };
}

function cpuModel(): string {
  return os.cpus()[0]?.model.trim() ?? 'unknown CPU';
}

export function machineLine(): string {
  return `${new Date().toISOString()} — ${os.availableParallelism()} CPUs (nproc; ${cpuModel()}), ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

const marker = (s: Section, end = false): string => `<!-- ${end ? '/' : ''}bench:${s} -->`;

/** Replaces each run section between its markers, keeping the others from the existing file. */
export function mergeResults(existing: string | undefined, sections: Map<Section, string>): string {
  const header = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (see docs/benchmarks.md). Each section records when and where it ran.',
    '',
  ];
  const blocks = SECTIONS.map((s) => {
    const fresh = sections.get(s);
    if (fresh !== undefined) return `${marker(s)}\n${fresh}\n${marker(s, true)}`;
    const m = existing?.match(new RegExp(`${escapeRe(marker(s))}[\\s\\S]*?${escapeRe(marker(s, true))}`));
    return m ? m[0] : `${marker(s)}\n_${s}: not run yet._\n${marker(s, true)}`;
  });
  // Sections other tools own (`npm run chaos` writes bench:chaos) are kept as they are, after ours.
  const foreign = [...(existing ?? '').matchAll(/<!-- bench:([a-z-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g)]
    .filter((m) => !(SECTIONS as readonly string[]).includes(m[1] ?? ''))
    .map((m) => m[0]);
  return `${header.join('\n')}\n${[...blocks, ...foreign].join('\n\n')}\n`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

export async function runBench(options: BenchOptions): Promise<Map<Section, string>> {
  const want = (s: Section): boolean => !options.only || options.only.includes(s);
  const out = new Map<Section, string>();
  const stamp = (body: string): string => `${body}\n\n_Measured ${machineLine()}._`;
  // Throughput first, so its peak RSS is not inflated by what the cost simulation left on the heap.
  if (want('throughput')) {
    log(`throughput: ${options.events} events through the local stack ...`);
    out.set(
      'throughput',
      stamp(renderThroughputSection(await measureThroughput({ events: options.events, log }))),
    );
  }
  if (want('cost')) {
    const results = await measureCostPerJob({ naiveBudgetMs: options.naiveBudgetSeconds * 1000, log });
    // The same 24 h job with another polls-per-execution value shows the knob that bounds one execution's history.
    const knobPolls: number = (DEFAULT_POLLS_PER_EXECUTION as number) === 20 ? 10 : 20;
    log(`cost: 24 h job, dispatchJob with DISPATCH_POLLS_PER_EXECUTION=${knobPolls} ...`);
    const [knob] = await measureCostPerJob({
      durationsMs: [24 * HOUR_MS],
      naive: false,
      pollsPerExecution: knobPolls,
    });
    log('cost: detection delay sweep, 1 h job + 0..55 s ...');
    const sweep = await measureDetectionSweep();
    out.set(
      'cost',
      stamp(
        renderCostSection({
          results,
          pollsPerExecution: DEFAULT_POLLS_PER_EXECUTION,
          ...(knob ? { knob: { pollsPerExecution: knobPolls, run: knob.ours } } : {}),
          sweep,
        }),
      ),
    );
  }
  if (want('completion')) {
    const runs = await measureCompletion({ naiveBudgetMs: options.naiveBudgetSeconds * 1000, log });
    log('completion: callback detection on the local stack, 20 jobs ...');
    const live = await measureLiveCallback({ jobs: 20, log }).catch((err: unknown) =>
      err instanceof Error ? err.message : String(err),
    );
    out.set('completion', stamp(renderCompletionSection(runs, live)));
  }
  if (want('replay')) {
    log('replay: CPU per episode at 10 / 100 / 1,000 history events ...');
    out.set('replay', stamp(renderReplaySection(await measureReplayCost())));
  }
  if (want('admission')) {
    out.set('admission', stamp(renderAdmissionSection(await measureAdmission({ log }))));
  }
  return out;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0);
    process.exit(e.exitCode ?? 2);
  }
  const sections = await runBench(options);
  for (const s of SECTIONS) {
    const body = sections.get(s);
    if (body !== undefined) process.stdout.write(`${body}\n\n`);
  }
  const existing = fs.existsSync(options.resultsFile)
    ? fs.readFileSync(options.resultsFile, 'utf8')
    : undefined;
  fs.mkdirSync(path.dirname(options.resultsFile), { recursive: true });
  fs.writeFileSync(options.resultsFile, mergeResults(existing, sections));
  log(`results written to ${options.resultsFile}`);
}

if (require.main === module) {
  main().then(
    // The local stack may leave sockets behind on failure; the results are written, so do not hang.
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(
        `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
