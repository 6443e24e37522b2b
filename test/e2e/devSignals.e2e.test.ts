import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { descendantsOf, isAlive, waitUntil } from '../support/processTree';
import { e2eRoutesFile, repoRoot } from './devStackHarness';

/**
 * `npm run dev` as a developer stops it: Ctrl-C / SIGINT / SIGTERM sent to the npm process (not to the stack),
 * or npm killed outright. The stack runs under npm's own script runner (`npm exec -c`, the machinery of
 * `npm run`, which forwards SIGINT/SIGTERM to its child) with the `exec` the `dev` script uses, but without the
 * build step (rebuilding dist/ here would race the other suites that load it). Afterwards no process of the
 * stack may remain and its ports must be free.
 */
const npmCli = process.env.npm_execpath ?? 'npm';
const started: ChildProcess[] = [];

afterAll(() => {
  // Own process groups (detached): a failed test must not leave a stack behind.
  for (const child of started)
    if (child.pid && isAlive(child.pid))
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
});

function npm(args: string[]): ChildProcess {
  const [command, argv] = npmCli.endsWith('.js') ? [process.execPath, [npmCli, ...args]] : [npmCli, args];
  const child = spawn(command, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(child);
  return child;
}

async function startUnderNpm(): Promise<{ npm: ChildProcess; output: () => string; ports: number[] }> {
  const script = `exec node bin/dispatcher.js dev --port 0 --servicebus-port 0 --routes ${e2eRoutesFile} --log-level warning`;
  const child = npm(['exec', '--offline', '-c', script]);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitUntil('dispatcher dev to print ready', () => /^ready$/m.test(output), 90_000);
  const ports = [/sb:\/\/localhost:(\d+)/, /HTTP: http:\/\/localhost:(\d+)/].map((re) =>
    Number(re.exec(output)?.[1]),
  );
  return { npm: child, output: () => output, ports };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

test.each([
  ['SIGINT to the npm process', 'SIGINT', 'npm'],
  ['SIGTERM to the npm process', 'SIGTERM', 'npm'],
  ['SIGKILL of the npm process', 'SIGKILL', 'npm'],
  // A terminal's Ctrl-C: the whole foreground process group, and npm forwards its copy on top.
  ['Ctrl-C (SIGINT to the whole process group)', 'SIGINT', 'group'],
] as const)(
  '%s stops the whole stack cleanly and frees its ports',
  async (_label, signal, target) => {
    const { npm: child, output, ports } = await startUnderNpm();
    const npmPid = child.pid ?? 0;
    const tree = descendantsOf(npmPid);
    // npm -> dispatcher dev (exec'd, no shell in between) -> Service Bus and ACI emulator processes.
    expect(tree.length).toBeGreaterThanOrEqual(3);
    process.kill(target === 'group' ? -npmPid : npmPid, signal);
    await waitUntil(
      `every process of the stack to end after ${signal}`,
      () => tree.every((p) => !isAlive(p)),
      30_000,
    );
    expect(await Promise.all(ports.map(portIsFree))).toEqual([true, true]);
    expect(output()).toMatch(
      signal === 'SIGKILL'
        ? /parent process exited: stopping the dev stack/
        : new RegExp(`${signal}: stopping`),
    );
    // A clean stop, not the "again: exiting without a clean shutdown" of a second Ctrl-C.
    expect(output()).toMatch(/^stopped$/m);
    expect(output()).not.toContain('again');
  },
  120_000,
);

test('the dev script execs its launcher, so no shell sits between npm and the stack', () => {
  // dash (sh) swallows a forwarded SIGINT while it waits and dies of SIGTERM, orphaning its child.
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(pkg.scripts.dev).toBe('exec node bin/dev.js');
});

describe('a busy port', () => {
  let holder: ChildProcess;
  let port = 0;
  beforeAll(async () => {
    // Held by another process, as a forgotten stack would hold it.
    holder = spawn(
      process.execPath,
      [
        '-e',
        "const s = require('net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port))",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    port = await new Promise<number>((resolve) =>
      holder.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
  });
  afterAll(() => holder.kill('SIGKILL'));

  test('npm run dev (bin/dev.js) reports it before building, with the pid holding it and what to do', () => {
    const started = Date.now();
    const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'dev.js'), '--port', String(port)], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `port ${port} (HTTP (Functions host), --port) is already in use by pid ${holder.pid}`,
    );
    expect(result.stderr).toContain('npm run dev -- --port 0 --servicebus-port 0');
    // No build ran (tsc alone takes several seconds and prints its npm banner).
    expect(result.stdout).not.toContain('tsc');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('held by a running stack, the message names the stack process to stop', async () => {
    const { npm: child, ports } = await startUnderNpm();
    try {
      const stackPid = descendantsOf(child.pid ?? 0)[0];
      const result = spawnSync(
        process.execPath,
        [join(repoRoot, 'bin', 'dev.js'), '--port', '0', '--servicebus-port', String(ports[0])],
        { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 },
      );
      expect(result.status).toBe(1);
      // The AMQP port is held by the stack's emulator child; the one to stop is the stack itself.
      expect(result.stderr).toContain(`A dev stack seems to be running already (pid ${stackPid})`);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid ?? 0, 'SIGTERM');
      await exited;
    }
  }, 120_000);

  test('dispatcher dev reports it the same way instead of a bare EADDRINUSE', () => {
    const result = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin', 'dispatcher.js'), 'dev', '--port', '0', '--servicebus-port', String(port)],
      { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `port ${port} (AMQP (Service Bus emulator), --servicebus-port) is already in use`,
    );
  });
});
