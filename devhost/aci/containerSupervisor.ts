import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A container's process runs under a tiny Node supervisor, detached in its own process group, so that it can
 * outlive the emulator (as an ACI container outlives the ARM front end): the supervisor appends the process's
 * stdout+stderr to `output.log` and, when it exits, atomically writes `exit.json` with `{ exitCode, signal,
 * finishTime, error? }` in the container's directory. The emulator only reads these files, so a restarted
 * emulator can pick a still-running container up again.
 *
 * The script is plain JavaScript, written next to the container's files and run with `node`, so it works the
 * same from the built `dist/` tree and from ts-jest (which cannot hand a `.ts` file to a child `node`). It
 * receives its job, including the container's environment (secure values), as JSON on stdin: never in argv,
 * its own environment or on disk.
 */
export const SUPERVISOR_MARKER = 'aci-emulator-supervisor';

const SUPERVISOR_SCRIPT = `'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  let done = false;
  const finish = (result) => {
    if (done) return;
    done = true;
    const temp = job.exitFile + '.tmp';
    fs.writeFileSync(temp, JSON.stringify(Object.assign({}, result, { finishTime: new Date().toISOString() })));
    fs.renameSync(temp, job.exitFile);
    process.exit(0);
  };
  // A stop signals the whole process group: the container gets it directly, the supervisor stays to record
  // how it ended (only SIGKILL, the escalation, takes the supervisor down too).
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => undefined);
  // Its own record first, before the job starts: an emulator killed while it was still spawning this
  // supervisor (before it could write the record itself) would otherwise find a running job it cannot see,
  // report the deployment failed, and the group would be replaced and run again.
  const recordTemp = job.recordFile + '.supervisor.tmp';
  fs.writeFileSync(recordTemp, JSON.stringify({ pid: process.pid, startTime: job.startTime }));
  fs.renameSync(recordTemp, job.recordFile);
  const out = fs.openSync(job.logFile, 'a');
  let child;
  try {
    child = spawn(job.argv[0], job.argv.slice(1), { cwd: job.cwd, env: job.env, stdio: ['ignore', out, out] });
  } catch (err) {
    finish({ exitCode: 127, signal: null, error: err.message });
    return;
  }
  let error;
  child.on('error', (err) => {
    error = err.message;
    if (child.pid === undefined) finish({ exitCode: 127, signal: null, error });
  });
  child.on('exit', (code, signal) => finish({ exitCode: code, signal, error }));
});
`;

/** What the supervisor writes when the container's process has ended. */
export interface SupervisorExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  finishTime: string;
  /** Set when the process could not be started (argv[0] not found...). */
  error?: string;
}

export interface SupervisorJob {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** The container's directory: holds output.log, exit.json and supervisor.log. */
  dir: string;
  /** ISO-8601 start time the container reports; the supervisor writes it into its record. */
  startTime: string;
}

export function logFileOf(dir: string): string {
  return path.join(dir, 'output.log');
}

export function exitFileOf(dir: string): string {
  return path.join(dir, 'exit.json');
}

/** Which supervisor runs (or ran) the container's latest process, written as soon as it is spawned. */
export interface SupervisorRecord {
  pid: number;
  startTime: string;
}

function recordFileOf(dir: string): string {
  return path.join(dir, 'supervisor.json');
}

/**
 * Written by the supervisor itself before it starts the job, and again by the emulator right after the spawn
 * (the same record): whichever survives a crash, a running job always has a record, so a restarted emulator
 * finds the container's process again instead of losing track of it (and running the group a second time).
 */
export function writeSupervisorRecord(dir: string, record: SupervisorRecord): void {
  const file = recordFileOf(dir);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(record));
  fs.renameSync(`${file}.tmp`, file);
}

export function readSupervisorRecord(dir: string): SupervisorRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(recordFileOf(dir), 'utf8')) as Partial<SupervisorRecord>;
    return typeof record.pid === 'number' && typeof record.startTime === 'string'
      ? { pid: record.pid, startTime: record.startTime }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a supervised container process; the caller watches the files (and may watch the returned child). */
export function spawnSupervisor(job: SupervisorJob): ReturnType<typeof spawn> {
  fs.mkdirSync(job.dir, { recursive: true });
  fs.rmSync(exitFileOf(job.dir), { force: true });
  fs.rmSync(recordFileOf(job.dir), { force: true });
  const diagnostics = fs.openSync(path.join(job.dir, 'supervisor.log'), 'a');
  try {
    const script = path.join(job.dir, 'supervisor.js');
    fs.writeFileSync(script, SUPERVISOR_SCRIPT);
    const child = spawn(process.execPath, [script, SUPERVISOR_MARKER, job.dir], {
      // Not the container's environment: a NODE_OPTIONS meant for the job must not configure the supervisor.
      env: {
        PATH: process.env['PATH'] ?? '',
        ...(process.platform === 'win32' && process.env['SystemRoot']
          ? { SystemRoot: process.env['SystemRoot'] }
          : {}),
      },
      cwd: job.dir,
      stdio: ['pipe', 'ignore', diagnostics],
      // Own process group: survives the emulator, and stop/delete reach the job and whatever it spawned.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(
      JSON.stringify({
        argv: job.argv,
        cwd: job.cwd,
        env: job.env,
        logFile: logFileOf(job.dir),
        exitFile: exitFileOf(job.dir),
        recordFile: recordFileOf(job.dir),
        startTime: job.startTime,
      }),
    );
    child.unref();
    return child;
  } finally {
    fs.closeSync(diagnostics);
  }
}

function writeExit(dir: string, exit: Omit<SupervisorExit, 'finishTime'>): void {
  const file = exitFileOf(dir);
  try {
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ...exit, finishTime: new Date().toISOString() }));
    fs.renameSync(`${file}.tmp`, file);
  } catch {
    // The group's directory is already gone (deleted).
  }
}

/**
 * Starts the container's process directly, without a supervisor, when it need not outlive the emulator (no
 * state dir): one process instead of two per container. The same files are written (the emulator writes the
 * exit file on the process's exit), so the emulator reads every container the same way.
 */
export function spawnUnsupervised(job: SupervisorJob): ReturnType<typeof spawn> {
  fs.mkdirSync(job.dir, { recursive: true });
  fs.rmSync(exitFileOf(job.dir), { force: true });
  const out = fs.openSync(logFileOf(job.dir), 'a');
  try {
    const [file, ...args] = job.argv;
    const child = spawn(file ?? '', args, {
      cwd: job.cwd,
      env: job.env,
      stdio: ['ignore', out, out],
      // Own process group, so stop/delete also reach whatever the job itself spawned.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    let error: string | undefined;
    child.on('error', (err) => {
      error = err.message;
      if (child.pid === undefined) writeExit(job.dir, { exitCode: 127, signal: null, error });
    });
    child.on('exit', (exitCode, signal) =>
      writeExit(job.dir, { exitCode, signal, ...(error !== undefined ? { error } : {}) }),
    );
    return child;
  } finally {
    fs.closeSync(out);
  }
}

/** The supervisor's exit record, if the container's process has ended. */
export function readSupervisorExit(dir: string): SupervisorExit | undefined {
  let text: string;
  try {
    text = fs.readFileSync(exitFileOf(dir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as SupervisorExit;
  } catch {
    // Written by rename, so a half-written file means someone else wrote it: treat as an unknown failure.
    return { exitCode: 1, signal: null, finishTime: new Date().toISOString(), error: 'unreadable exit.json' };
  }
}

/**
 * Whether `pid` is still the supervisor of the container in `dir`. On Linux the command line is checked, so
 * a pid reused by an unrelated process after a reboot is neither waited for nor killed.
 */
export function isSupervisorAlive(pid: number, dir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone; EPERM: someone else's process now.
    return false;
  }
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(SUPERVISOR_MARKER) && cmdline.includes(dir);
  } catch (err) {
    // No procfs (macOS): trust the signal probe. ENOENT: it died in between.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' || !fs.existsSync('/proc/self');
  }
}

/** Sends `signal` to the supervisor's process group (the container and everything it spawned). */
export function signalSupervisor(pid: number, signal: NodeJS.Signals): void {
  try {
    if (process.platform !== 'win32') process.kill(-pid, signal);
    else process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
