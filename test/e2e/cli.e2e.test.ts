import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { e2eRoutesFile, repoRoot } from './devStackHarness';

/** The `dispatcher` CLI as a developer runs it: dev, send, watch, validate, --help (built bin/dispatcher.js). */
const bin = join(repoRoot, 'bin', 'dispatcher.js');
let dev: ChildProcess | undefined;
let devOutput = '';
let connection = '';
let api = '';
const scratch = mkdtempSync(join(tmpdir(), 'dispatcher-cli-'));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  dev = spawn(
    process.execPath,
    [
      bin,
      'dev',
      '--port',
      '0',
      '--servicebus-port',
      '0',
      '--routes',
      e2eRoutesFile,
      '--log-level',
      'warning',
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  dev.stderr?.on('data', (chunk: Buffer) => (devOutput += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dispatcher dev not ready:\n${devOutput}`)), 60_000);
    dev?.stdout?.on('data', (chunk: Buffer) => {
      devOutput += chunk.toString();
      if (/^ready$/m.test(devOutput)) {
        clearTimeout(timer);
        resolve();
      }
    });
    dev?.once('exit', (code) => reject(new Error(`dispatcher dev exited with ${code}:\n${devOutput}`)));
  });
  connection = /^Service Bus: (Endpoint=sb:\/\/\S+)$/m.exec(devOutput)?.[1] ?? '';
  api = /^HTTP: (http:\/\/localhost:\d+\/api)$/m.exec(devOutput)?.[1] ?? '';
}, 90_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    const exited = new Promise((resolve) => dev?.once('exit', resolve));
    dev.kill('SIGTERM');
    await exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe('dispatcher CLI', () => {
  it('dev prints the Service Bus and Blob connection strings, the HTTP base and ready, in that order', async () => {
    expect(connection).toMatch(/^Endpoint=sb:\/\/localhost:\d+;.*UseDevelopmentEmulator=true;$/);
    expect(api).toMatch(/^http:\/\/localhost:\d+\/api$/);
    const printed = devOutput.split('\n').filter((line) => /^(Service Bus|Blob|HTTP): |^ready$/.test(line));
    expect(printed.map((line) => line.split(':')[0])).toEqual(['Service Bus', 'Blob', 'HTTP', 'ready']);
    // The Blob line is a working connection string for the official SDK (Azurite).
    const blob = /^Blob: (\S+)$/m.exec(devOutput)?.[1] ?? '';
    const containers = BlobServiceClient.fromConnectionString(blob).listContainers();
    expect(await containers.next()).toHaveProperty('done');
  });

  it('send prints the event id; watch follows it until it settles', () => {
    const sent = run([
      'send',
      '--type',
      'e2e.ok',
      '--id',
      'cli-event-1',
      '--data',
      '{"expect":"cli-event-1"}',
      '--connection',
      connection,
    ]);
    expect(sent).toMatchObject({ status: 0, stdout: 'cli-event-1\n' });
    const watched = run(['watch', 'cli-event-1', '--api', api, '--interval', '0.5', '--timeout', '45']);
    expect(watched.status).toBe(0);
    const lines = watched.stdout.trim().split('\n');
    const lastTable = lines.filter((line) => !line.startsWith('log ')).slice(-2);
    expect(lastTable[0]).toMatch(/^ROUTE\s+ATTEMPT\s+PHASE\s+STATUS\s+EXIT\s+REASON$/);
    expect(lastTable[1]).toMatch(/^e2e-ok\s+1\s+Succeeded\s+Completed\s+0$/);
    expect(lines.at(-1)).toMatch(
      /^log e2e-ok a1: http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/job-logs\/e2e-ok\/cli-event-1\/a1\.log$/,
    );
  });

  it('watch exits 2 when the event ends in the dead-letter queue', () => {
    const sent = run(['send', '--type', 'e2e.fail', '--connection', connection]);
    const id = sent.stdout.trim();
    const watched = run(['watch', id, '--api', api, '--interval', '0.5', '--timeout', '45']);
    expect(watched.status).toBe(2);
    expect(watched.stdout).toMatch(/e2e-fail\s+2\s+DeadLettered/);
    // Each attempt's archived log, after the table.
    expect(watched.stdout).toMatch(
      new RegExp(
        `^log e2e-fail a2: http://127\\.0\\.0\\.1:\\d+/devstoreaccount1/job-logs/e2e-fail/${id}/a2\\.log$`,
        'm',
      ),
    );
  });

  it('watch exits 2 at once, with the reason, for an event no route matches', () => {
    const sent = run(['send', '--type', 'e2e.nobody-handles-this', '--connection', connection]);
    const id = sent.stdout.trim();
    const started = Date.now();
    const watched = run(['watch', id, '--api', api, '--interval', '0.2', '--timeout', '20']);
    expect(watched.status).toBe(2);
    expect(watched.stdout).toContain(
      `event ${id} was rejected (NoRoute): no route matches type "e2e.nobody-handles-this"`,
    );
    // It took the trigger's one delivery, not a timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("dev prints the next step to try after ready, with the stack's own connection and API", () => {
    const after = devOutput.slice(devOutput.indexOf('\nready\n'));
    expect(after).toContain(`npx dispatcher send --type e2e.ok --connection '${connection}'`);
    expect(after).toContain(`npx dispatcher watch <the id it printed> --api ${api}`);
  });

  it('bare watch exits when the newest jobs it shows have settled', () => {
    // The events above have settled; one of them was dead-lettered.
    const watched = run(['watch', '--api', api, '--interval', '0.5', '--timeout', '45']);
    expect(watched.status).toBe(2);
    expect(watched.stdout).toMatch(/^e2e-ok\s+1\s+Succeeded/m);
  });

  it('an unknown option is reported as unknown, with a suggestion, before a missing required one', () => {
    const typo = run(['send', '--typ', 'demo.hello', '--connection', connection]);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain("unknown option '--typ'");
    expect(typo.stderr).toContain('Did you mean --type?');
    const missing = run(['send', '--connection', connection]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("required option '--type <type>' not specified");
  });

  it('send rejects bad data with the reason', () => {
    const bad = run(['send', '--type', 't', '--data', '{nope', '--connection', connection]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--data: not valid JSON/);
  });

  it('validate accepts a good routes file and lists every error with its path for a bad one', () => {
    expect(run(['validate', e2eRoutesFile])).toMatchObject({ status: 0 });
    const badFile = join(scratch, 'bad-routes.json');
    writeFileSync(
      badFile,
      JSON.stringify({
        routes: [
          { name: 'Bad Name', match: { type: 'x' }, job: { image: 'i' }, policy: { timeout: 'soon' } },
        ],
      }),
    );
    const bad = run(['validate', badFile]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('routes[0].name');
    expect(bad.stderr).toContain('routes[0].policy.timeout');
  });

  it('dev stops cleanly on SIGTERM (Ctrl-C does the same)', async () => {
    const exited = new Promise<number | null>((resolve) => dev?.once('exit', (code) => resolve(code)));
    dev?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(devOutput).toMatch(/SIGTERM: stopping the dev stack\.\.\.\n[\s\S]*^stopped$/m);
  });

  it('send and watch against the stopped stack say it is not running and how to start it', () => {
    const sent = run(['send', '--type', 'e2e.ok', '--connection', connection]);
    expect(sent.status).toBe(1);
    expect(sent.stderr).toMatch(
      /the local dispatcher stack is not running: nothing answers at localhost:\d+/,
    );
    expect(sent.stderr).toContain('npm run dev');
    expect(sent.stderr).not.toMatch(/^dispatcher: ECONNREFUSED/m);
    const watched = run(['watch', 'cli-event-1', '--api', api, '--timeout', '20']);
    expect(watched.status).toBe(1);
    expect(watched.stderr).toContain(`nothing answers at ${api} (status API)`);
  });

  it('--help describes every command', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    for (const command of ['dev', 'send', 'validate', 'watch'])
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    const devHelp = run(['dev', '--help']);
    for (const flag of ['--port', '--servicebus-port', '--aci-port', '--state', '--routes'])
      expect(devHelp.stdout).toContain(flag);
  });
});
