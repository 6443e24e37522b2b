import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/** Which emulator child of `dispatcher dev` (devhost/dev/emulatorProcess.js `<kind> ...`). */
export type EmulatorKind = 'aci' | 'servicebus';

export interface ChaosStackOptions {
  /** Repository root (bin/dispatcher.js, dist/). */
  repoRoot: string;
  stateDir: string;
  routesFile: string;
  /** Fixed so that every start of the stack (and the leak check) finds ARM at the same endpoint. */
  aciPort: number;
  /** More `dispatcher dev` flags (`--aci-quota ...`, `--aci-faults ...`). */
  extraArgs: string[];
  /** The stack's stdout and stderr are appended there (for a post-mortem). */
  logFile: string;
}

/**
 * `node bin/dispatcher.js dev` started as a process group of its own, driven only from outside: its printed
 * connection string and HTTP base, signals, and /proc to find its emulator children. Anything in the group
 * dying without the harness asking for it is recorded in `crashes`.
 */
export class ChaosStack {
  readonly crashes: string[] = [];
  connectionString = '';
  httpBase = '';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  private readonly expectedEmulatorDeaths = new Set<number>();
  private knownEmulators = new Map<number, EmulatorKind>();
  private watcher: NodeJS.Timeout | undefined;
  private log: WriteStream | undefined;
  /** Starts so far (the first start included). */
  starts = 0;

  constructor(private readonly options: ChaosStackOptions) {}

  get armEndpoint(): string {
    return `https://localhost:${this.options.aciPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts `dispatcher dev` and resolves once it printed `ready`. */
  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null)
      throw new Error('ChaosStack.start: the stack is already running');
    this.log ??= createWriteStream(this.options.logFile, { flags: 'a' });
    this.log.write(`\n--- start ${this.starts + 1} at ${new Date().toISOString()} ---\n`);
    const args = [
      join(this.options.repoRoot, 'bin', 'dispatcher.js'),
      'dev',
      '--port',
      '0',
      '--servicebus-port',
      '0',
      '--aci-port',
      String(this.options.aciPort),
      '--state',
      this.options.stateDir,
      '--routes',
      this.options.routesFile,
      '--log-level',
      'warning',
      ...this.options.extraArgs,
    ];
    const child = spawn(process.execPath, args, {
      cwd: this.options.repoRoot,
      // `dispatcher dev --aci-quota` also sets the app's admission limits to that quota.
      env: process.env,
      // Its own process group: kill -9 of the group is "the machine lost the stack", jobs excepted (their
      // supervisors run in groups of their own, as containers outlive a Functions host in Azure).
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    this.expectingExit = false;
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stderr?.on('data', (chunk: Buffer) => this.log?.write(chunk));
    let stdout = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`dispatcher dev not ready after 90 s (see ${this.options.logFile})`)),
        90_000,
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        this.log?.write(chunk);
        stdout += chunk.toString();
        const sb = /^Service Bus: (.+)$/m.exec(stdout);
        const http = /^HTTP: (.+)$/m.exec(stdout);
        if (sb?.[1] && http?.[1] && /^ready$/m.test(stdout)) {
          clearTimeout(timer);
          this.connectionString = sb[1].trim();
          this.httpBase = http[1].trim();
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`dispatcher dev exited (${signal ?? code}) before ready (see ${this.options.logFile})`),
        );
      });
    });
    child.once('exit', (code, signal) => {
      if (!this.expectingExit)
        this.crashes.push(
          `dispatcher dev (pid ${child.pid}) exited unexpectedly: ${signal ?? `exit code ${code}`}`,
        );
    });
    await ready;
    this.knownEmulators = this.scanEmulators();
    this.watcher ??= setInterval(() => this.checkEmulators(), 500);
  }

  /** kill -9 of the whole process group (the dev process and its emulator children). */
  async kill9(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    this.expectingExit = true;
    for (const emulatorPid of this.knownEmulators.keys()) this.expectedEmulatorDeaths.add(emulatorPid);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await this.exited;
    // Its emulator children exit when their IPC channel closes; give them a moment to go.
    await waitUntil(() => this.scanAllEmulatorPids().every((p) => !this.knownEmulators.has(p)), 5000);
    this.knownEmulators.clear();
  }

  /** SIGKILL one emulator child alone (`dispatcher dev` is expected to restart it). */
  killEmulator(kind: EmulatorKind): number {
    const entry = [...this.scanEmulators()].find(([, k]) => k === kind);
    if (!entry) throw new Error(`no ${kind} emulator child of dispatcher dev (pid ${this.child?.pid}) found`);
    this.expectedEmulatorDeaths.add(entry[0]);
    process.kill(entry[0], 'SIGKILL');
    return entry[0];
  }

  /** Whether a new emulator of that kind (another pid than `oldPid`) runs within `timeoutMs`. */
  async waitForEmulatorRestart(kind: EmulatorKind, oldPid: number, timeoutMs: number): Promise<boolean> {
    return waitUntil(
      () => {
        const pid = this.emulatorPid(kind);
        return pid !== undefined && pid !== oldPid;
      },
      timeoutMs,
      250,
    );
  }

  /** The pid of the emulator child of that kind, when one runs. */
  emulatorPid(kind: EmulatorKind): number | undefined {
    return [...this.scanEmulators()].find(([, k]) => k === kind)?.[0];
  }

  /** Ctrl-C style stop; SIGKILL of the group if it does not stop within 30 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (this.watcher) clearInterval(this.watcher);
    this.watcher = undefined;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      this.expectingExit = true;
      for (const p of this.knownEmulators.keys()) this.expectedEmulatorDeaths.add(p);
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-(child.pid ?? 0), 'SIGKILL');
        } catch {
          // gone
        }
      }, 30_000);
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => (this.log ? this.log.end(() => resolve()) : resolve()));
    this.log = undefined;
  }

  private checkEmulators(): void {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const now = this.scanEmulators();
    for (const [pid, kind] of this.knownEmulators) {
      if (now.has(pid)) continue;
      if (this.expectedEmulatorDeaths.has(pid)) continue;
      this.crashes.push(`${kind} emulator process (pid ${pid}) died unexpectedly`);
    }
    this.knownEmulators = now;
  }

  private scanEmulators(): Map<number, EmulatorKind> {
    const parent = this.child?.pid;
    const found = new Map<number, EmulatorKind>();
    if (parent === undefined) return found;
    for (const pid of listPids()) {
      const info = processInfo(pid);
      if (info?.ppid !== parent) continue;
      const kind = /emulatorProcess\.js\0(aci|servicebus)\0/.exec(info.cmdline)?.[1] as
        EmulatorKind | undefined;
      if (kind) found.set(pid, kind);
    }
    return found;
  }

  private scanAllEmulatorPids(): number[] {
    return listPids().filter((pid) =>
      /emulatorProcess\.js\0(aci|servicebus)\0/.test(processInfo(pid)?.cmdline ?? ''),
    );
  }
}

function listPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

function processInfo(pid: number): { ppid: number; cmdline: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, ...
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return { ppid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8') };
  } catch {
    return undefined;
  }
}

export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}
