import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAX_OUTPUT_FILE_BYTES,
  OUTPUT_REPORT_MARKER,
  wrapCommandForOutputFile,
} from '../../../shared/jobOutputs/outputFileReport';
import { readOutputReport } from '../../../shared/jobOutputs/readOutputReport';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dispatch-output-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Shell {
  name: string;
  /** Replaces the wrapper's /bin/sh. */
  argv0: string[];
  /** PATH for the job: busybox runs with its applets only, so nothing from coreutils helps it. */
  path: string;
}

/** The system /bin/sh (dash, bash), and busybox (Alpine's shell and tools) where it is installed. */
const shells: Shell[] = [{ name: 'the system /bin/sh', argv0: ['/bin/sh'], path: process.env['PATH'] ?? '' }];
const busybox = spawnSync('busybox', ['--list'], { encoding: 'utf8' });
if (busybox.status === 0) {
  const bin = mkdtempSync(join(tmpdir(), 'busybox-bin-'));
  const busyboxPath = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
  for (const applet of busybox.stdout.split('\n').filter((a) => a !== '')) {
    symlinkSync(busyboxPath, join(bin, applet));
  }
  shells.push({ name: 'busybox', argv0: [busyboxPath, 'sh'], path: bin });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
}

function wrapped(shell: Shell, script: string): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const [, ...rest] = wrapCommandForOutputFile(['sh', '-c', `exec 2>&1; ${script}`]);
  const [file, ...lead] = shell.argv0;
  return {
    file: file!,
    args: [...lead, ...rest],
    env: { PATH: shell.path, DISPATCH_OUTPUT_FILE: join(dir, 'output.json') },
  };
}

describe.each(shells)('the output file epilogue, run by $name, read back from the log', (shell) => {
  /** Runs a job script under the real epilogue, stdout and stderr merged as a container log is. */
  function runJob(script: string): { exitCode: number | null; log: string } {
    const { file, args, env } = wrapped(shell, script);
    const result = spawnSync(file, args, { env, encoding: 'utf8' });
    return { exitCode: result.status, log: result.stdout + result.stderr };
  }

  it('reports a JSON file and keeps the exit code 0', () => {
    const output = { rows: 42, name: 'Zoë ✓', nested: [1, null, true] };
    const { exitCode, log } = runJob(
      `echo working; printf '%s' '${JSON.stringify(output)}' > "$DISPATCH_OUTPUT_FILE"; printf 'no newline'`,
    );
    expect(exitCode).toBe(0);
    const { report, jobLog } = readOutputReport(log);
    expect(report).toEqual({ ok: true, output });
    expect(jobLog).toBe('working\nno newline\n');
  });

  it('keeps a failing exit code and still reports the output', () => {
    const { exitCode, log } = runJob(`echo '[1,2]' > "$DISPATCH_OUTPUT_FILE"; echo failing >&2; exit 7`);
    expect(exitCode).toBe(7);
    expect(readOutputReport(log).report).toEqual({ ok: true, output: [1, 2] });
  });

  it('keeps 127 when the command does not exist', () => {
    const { exitCode, log } = runJob('no-such-command-for-dispatch');
    expect(exitCode).toBe(127);
    expect(readOutputReport(log).report).toEqual({
      ok: false,
      error: 'the job wrote no file at DISPATCH_OUTPUT_FILE',
    });
  });

  it('reports a file of exactly 64 KB, and refuses one byte more without printing it', () => {
    const body = (n: number): string => JSON.stringify('x'.repeat(n - 2));
    writeFileSync(join(dir, 'ok.json'), body(MAX_OUTPUT_FILE_BYTES));
    writeFileSync(join(dir, 'big.json'), body(MAX_OUTPUT_FILE_BYTES + 1));
    const ok = runJob(`cp ${join(dir, 'ok.json')} "$DISPATCH_OUTPUT_FILE"`);
    expect(readOutputReport(ok.log).report).toEqual({
      ok: true,
      output: 'x'.repeat(MAX_OUTPUT_FILE_BYTES - 2),
    });
    const big = runJob(`cp ${join(dir, 'big.json')} "$DISPATCH_OUTPUT_FILE"`);
    expect(big.log.length).toBeLessThan(200);
    expect(readOutputReport(big.log).report).toEqual({
      ok: false,
      error: `the output file is ${MAX_OUTPUT_FILE_BYTES + 1} bytes, at most ${MAX_OUTPUT_FILE_BYTES} allowed`,
    });
  });

  it('says what is wrong with a file that is not JSON or not UTF-8', () => {
    const notJson = runJob(`echo 'rows: 42' > "$DISPATCH_OUTPUT_FILE"`);
    expect(readOutputReport(notJson.log).report).toEqual({
      ok: false,
      error: expect.stringMatching(/^the output file is not JSON: /) as unknown,
    });
    const binary = runJob(`printf '\\377\\376' > "$DISPATCH_OUTPUT_FILE"`);
    expect(readOutputReport(binary.log).report).toEqual({
      ok: false,
      error: 'the output file is not UTF-8 text',
    });
  });

  it('tells a cut or garbled report from a good one', () => {
    writeFileSync(join(dir, 'src.json'), JSON.stringify({ text: 'y'.repeat(2000) }));
    const { log } = runJob(`cp ${join(dir, 'src.json')} "$DISPATCH_OUTPUT_FILE"`);
    expect(readOutputReport(log).report.ok).toBe(true);

    const lines = log.trimEnd().split('\n');
    const cut = lines.slice(0, -3).join('\n');
    expect(readOutputReport(cut).report).toEqual({
      ok: false,
      error: 'the output report in the log is truncated (no end line): the log was cut',
    });
    const dataLine = lines.findIndex((l) => l.startsWith(`${OUTPUT_REPORT_MARKER} data `));
    const dropped = lines.filter((_l, i) => i !== dataLine).join('\n');
    expect(readOutputReport(dropped).report).toEqual({
      ok: false,
      error: expect.stringMatching(/^the output report in the log is corrupt: \d+ bytes read/) as unknown,
    });
    const flipped = log.replace(/(data [0-9a-f]{10})7/, '$18');
    expect(flipped).not.toBe(log);
    expect(readOutputReport(flipped).report).toEqual({
      ok: false,
      error: expect.stringMatching(/checksum differs$/) as unknown,
    });
  });

  it('says so when the log has no report (the command was killed before the epilogue ran)', () => {
    expect(readOutputReport('started\nworking\n').report).toEqual({
      ok: false,
      error: expect.stringMatching(/^no output report in the log: /) as unknown,
    });
  });

  it('forwards TERM to the job, which still reports its output and keeps its exit code', async () => {
    const { file, args, env } = wrapped(
      shell,
      `trap 'echo "{\\"stopped\\":true}" > "$DISPATCH_OUTPUT_FILE"; exit 143' TERM; echo ready; while :; do sleep 0.05; done`,
    );
    const child = spawn(file, args, { env });
    let log = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('ready') && !sent) sent = child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(143);
    expect(readOutputReport(log).report).toEqual({ ok: true, output: { stopped: true } });
  });
});
