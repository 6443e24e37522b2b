import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AciEmulatorOptions, RunningAciEmulator } from '../aci/startAciEmulator';
import type {
  RunningServiceBusEmulator,
  ServiceBusEmulatorOptions,
} from '../servicebus/startServiceBusEmulator';

/** Which emulator an emulator process runs (emulatorProcess.ts). */
export type EmulatorKind = 'aci' | 'servicebus';

/** Parent -> emulator process. `options` is handed to the emulator's close(). */
export interface EmulatorProcessRequest {
  close: true;
  options?: unknown;
}

/** Emulator process -> parent. */
export type EmulatorProcessReport = { ready: Record<string, unknown> } | { failed: string } | { log: string };

export interface EmulatorProcess {
  /** What the emulator reported once listening (its RunningXxx object without close). */
  ready: Record<string, unknown>;
  pid: number;
  /** Asks the emulator to close (passing `options` to its close()) and waits for the process to exit. */
  close(options?: unknown): Promise<void>;
}

export interface EmulatorProcessSettings {
  log?: (line: string) => void;
  closeTimeoutMs?: number;
  /**
   * Called once if the process ends after it was ready and before close() was asked for (killed, crashed),
   * with what happened, e.g. `aci emulator process 1234 exited unexpectedly (SIGKILL)`. The stack's supervisor
   * uses it to restart the emulator or to stop the stack (startDevStack).
   */
  onUnexpectedExit?: (description: string) => void;
}

const entry = join(__dirname, 'emulatorProcess.js');

/**
 * Whether the emulator process entry exists: it does in the built tree (dist/), not when this module runs from
 * its .ts source (ts-jest), where a child `node` could not load it.
 */
export function emulatorProcessAvailable(): boolean {
  return existsSync(entry);
}

/**
 * Runs one emulator in a child process of its own. Why: under load the stack process's single event loop was
 * the bottleneck, and the emulators are independent servers reached only over sockets. The ACI emulator
 * matters most: each container is a synchronous `child_process.spawn` whose cost grows with the spawning
 * process's memory (~5 ms per job in the big stack process, ~1 ms in a small one, now on the other core).
 *
 * The child dies with this process (it exits when the IPC channel goes away, as an in-process emulator would
 * have died with it), and ignores Ctrl-C so that the stack closes it in order.
 */
export async function startEmulatorProcess(
  kind: EmulatorKind,
  options: object,
  settings: EmulatorProcessSettings = {},
): Promise<EmulatorProcess> {
  if (!emulatorProcessAvailable())
    throw new Error(
      `startEmulatorProcess: ${entry} does not exist (run "npm run build"; it cannot run from .ts)`,
    );
  const child: ChildProcess = fork(entry, [kind, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // The parent's flags (e.g. --cpu-prof, --inspect) are meant for the parent.
    execArgv: [],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('message', (report: EmulatorProcessReport) => {
      if ('log' in report) settings.log?.(report.log);
      else if ('failed' in report) reject(new Error(report.failed));
      else resolve(report.ready);
    });
    child.once('exit', (code, signal) =>
      reject(
        new Error(`${kind} emulator process exited before it was ready (${signal ?? `exit code ${code}`})`),
      ),
    );
    child.once('error', reject);
  }).catch(async (err: unknown) => {
    if (running()) child.kill('SIGKILL');
    await exited;
    throw err;
  });
  let closing: Promise<void> | undefined;
  child.once('exit', (code, signal) => {
    if (closing === undefined)
      settings.onUnexpectedExit?.(
        `${kind} emulator process ${child.pid} exited unexpectedly (${signal ?? `exit code ${code}`})`,
      );
  });
  return {
    ready,
    pid: child.pid ?? 0,
    close: (closeOptions?: unknown) =>
      (closing ??= (async () => {
        if (!running()) return;
        if (child.connected)
          child.send({ close: true, options: closeOptions } satisfies EmulatorProcessRequest);
        else child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (running()) child.kill('SIGKILL');
        }, settings.closeTimeoutMs ?? 15_000);
        await exited;
        clearTimeout(timer);
      })()),
  };
}

/** An emulator's options in a child process: `log` gets its lines over IPC; `onUnexpectedExit` as above. */
type WithoutLog<T> = Omit<T, 'log'> & Pick<EmulatorProcessSettings, 'log' | 'onUnexpectedExit'>;

/** startAciEmulator's contract, with the emulator in a child process (see startEmulatorProcess). */
export async function startAciEmulatorProcess(
  options: WithoutLog<AciEmulatorOptions> = {},
): Promise<RunningAciEmulator> {
  const { log, onUnexpectedExit, ...rest } = options;
  const child = await startEmulatorProcess('aci', rest, {
    ...(log ? { log } : {}),
    ...(onUnexpectedExit ? { onUnexpectedExit } : {}),
    // Containers get killGraceMs between SIGTERM and SIGKILL when the emulator stops them.
    closeTimeoutMs: (options.killGraceMs ?? 2000) + 13_000,
  });
  const ready = child.ready as Omit<RunningAciEmulator, 'close'>;
  return { ...ready, close: (closeOptions?: unknown) => child.close(closeOptions) };
}

/** startServiceBusEmulator's contract, with the emulator in a child process (see startEmulatorProcess). */
export async function startServiceBusEmulatorProcess(
  options: WithoutLog<ServiceBusEmulatorOptions>,
): Promise<RunningServiceBusEmulator> {
  const { log, onUnexpectedExit, ...rest } = options;
  if (rest.config === undefined || typeof rest.config !== 'string')
    throw new Error('startServiceBusEmulatorProcess: options.config must be the path of a Config.json');
  const child = await startEmulatorProcess('servicebus', rest, {
    ...(log ? { log } : {}),
    ...(onUnexpectedExit ? { onUnexpectedExit } : {}),
  });
  const ready = child.ready as Omit<RunningServiceBusEmulator, 'close'>;
  return { ...ready, close: () => child.close() };
}
