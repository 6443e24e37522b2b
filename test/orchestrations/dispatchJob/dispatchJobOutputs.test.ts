import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobSpec } from '../../../adapters/aci/jobProvider';
import type { JobSettledResult, ResultPublisher } from '../../../adapters/serviceBus/resultPublisher';
import {
  DISPATCH_JOB_ORCHESTRATOR,
  type DispatchJobSettlement,
} from '../../../orchestrations/dispatchJob/contracts';
import { wrapCommandForOutputFile } from '../../../shared/jobOutputs/outputFileReport';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import {
  startDispatchJobHarness,
  testRoute,
  type DispatchJobHarness,
} from '../../support/dispatchJobHarness';
import type { JobScript } from '../../support/scriptedJobProvider';

/*
 * Output files through the real orchestrator (durable-functions replay, virtual clock): the scripted job's log is
 * what the real epilogue printed under /bin/sh; the settlement and the result event carry the output or its error.
 */
const EVENT = { id: 'evt-out', type: 'demo.report', source: '/tests' };
const EVENT_JSON = JSON.stringify({ specversion: '1.0', ...EVENT, data: {} });

let harness: DispatchJobHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** What the job prints when run by /bin/sh under the output epilogue. */
function logOf(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-output-'));
  try {
    const [file, ...args] = wrapCommandForOutputFile(['/bin/sh', '-c', script]);
    return spawnSync(file!, args, {
      env: { PATH: process.env['PATH'] ?? '', DISPATCH_OUTPUT_FILE: join(dir, 'out.json') },
      encoding: 'utf8',
    }).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(script: JobScript, outputFile: string | null = '/mnt/out/result.json') {
  const route = testRoute({
    name: 'report',
    job: { image: 'demo:1', command: ['report'], ...(outputFile ? { outputFile } : {}) },
    policy: { timeout: 'PT1H', maxAttempts: 1, poll: { initial: 'PT1M', max: 'PT1M' } },
  });
  const specs: JobSpec[] = [];
  const results: JobSettledResult[] = [];
  const resultPublisher: ResultPublisher = {
    publish: (result) => Promise.resolve(void results.push(result)),
    close: () => Promise.resolve(),
  };
  harness = await startDispatchJobHarness({
    scriptFor: (spec) => (specs.push(spec), script),
    resultPublisher,
  });
  const instanceId = instanceIdFor(route.name, EVENT, 1);
  harness.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
    instanceId,
    input: { route, event: EVENT, eventJson: EVENT_JSON, attempt: 1, pollsPerExecution: 10 },
  });
  await harness.engine.runUntilIdle();
  const status = await harness.engine.waitForInstance(instanceId);
  return { settlement: status.output as DispatchJobSettlement, specs, results };
}

describe('dispatchJob output files', () => {
  it('carries the output file in the settlement and the result event; the log tail leaves the report out', async () => {
    const output = logOf(`echo working; echo '{"rows":42}' > "$DISPATCH_OUTPUT_FILE"`);
    const { settlement, specs, results } = await run({ runMs: 60_000, output });
    expect(specs[0]?.outputFile).toBe('/mnt/out/result.json');
    expect(settlement).toMatchObject({ outcome: 'Succeeded', output: { rows: 42 }, logTail: 'working' });
    expect(settlement.outputError).toBeUndefined();
    expect(results[0]).toMatchObject({ outcome: 'Succeeded', output: { rows: 42 } });
  });

  it('a failing job fails with its output; a job without a file settles with the reason', async () => {
    const failed = await run({
      runMs: 60_000,
      exitCode: 4,
      output: logOf(`echo '[1]' > "$DISPATCH_OUTPUT_FILE"; exit 4`),
    });
    expect(failed.settlement).toMatchObject({ outcome: 'DeadLettered', exitCode: 4, output: [1] });
    await harness?.close();
    harness = undefined;

    const missing = await run({ runMs: 60_000, output: logOf('echo no file') });
    expect(missing.settlement).toMatchObject({
      outcome: 'Succeeded',
      outputError: 'the job wrote no file at DISPATCH_OUTPUT_FILE',
    });
    expect(missing.settlement.output).toBeUndefined();
    expect(missing.results[0]).toMatchObject({
      outputError: 'the job wrote no file at DISPATCH_OUTPUT_FILE',
    });
  });

  it('reads no report on a route without outputFile, even when the log has one', async () => {
    const output = logOf(`echo '{"rows":42}' > "$DISPATCH_OUTPUT_FILE"`);
    const { settlement } = await run({ runMs: 60_000, output }, null);
    expect(settlement.output).toBeUndefined();
    expect(settlement.outputError).toBeUndefined();
  });
});
