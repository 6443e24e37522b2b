import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  isSupervisorAlive,
  logFileOf,
  readSupervisorExit,
  readSupervisorRecord,
  signalSupervisor,
  spawnSupervisor,
  spawnUnsupervised,
  writeSupervisorRecord,
  type SupervisorExit,
} from './containerSupervisor';
import { LogBuffer } from './logBuffer';
import type { ContainerGroupSpec, ContainerSpec, RestartPolicy } from './validateContainerGroup';

export interface ContainerState {
  state: 'Running' | 'Terminated' | 'Waiting';
  startTime?: string;
  finishTime?: string;
  exitCode?: number;
  detailStatus: string;
}

export interface ContainerEvent {
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  name: string;
  message: string;
  type: 'Normal' | 'Warning';
}

export type ProvisioningState = 'Creating' | 'Succeeded' | 'Failed';

/** What a group needs from the emulator around it. */
export interface RuntimeDependencies {
  /** image -> argv, for containers given no command. */
  images: ReadonlyMap<string, string[]>;
  /** The group's own scratch directory (created and removed by the runtime). */
  groupDir: string;
  log: (line: string) => void;
  /** Time a group whose image cannot be "pulled" stays Creating before its deployment fails. */
  imagePullTimeoutMs: number;
  /** Grace period between SIGTERM and SIGKILL on stop/delete. */
  killGraceMs: number;
  /** How often a running container's output and exit files are read (default 200 ms). */
  pollMs?: number;
  /**
   * Run each container under a detached supervisor so that it outlives the emulator (set with a state dir);
   * otherwise the process is the emulator's own child and dies with it.
   */
  supervise?: boolean;
  /** Called after every state change or new output (the service persists from here). */
  onChange?: () => void;
}

/** A container's state as kept in the emulator's state dir. */
export interface PersistedContainer {
  name: string;
  restartCount: number;
  currentState?: ContainerState;
  previousState?: ContainerState;
  events: ContainerEvent[];
  logs: string;
  /** Bytes of the container's output.log already in `logs`. */
  logOffset?: number;
  /** The supervisor of the process that was running, so a restarted emulator can re-attach to it. */
  supervisor?: { pid: number; startTime: string };
}

/** A group's runtime state as kept in the emulator's state dir (the spec is persisted separately, redacted). */
export interface PersistedRuntime {
  provisioningState: ProvisioningState;
  stopped: boolean;
  failure?: { code: string; message: string };
  containers: PersistedContainer[];
}

/** The env var that tells a job where the group's mount points really are on this machine. */
export const MOUNT_ROOT_ENV = 'ACI_EMULATOR_MOUNT_ROOT';

const MAX_RESTART_BACKOFF_MS = 5000;

function now(): string {
  return new Date().toISOString();
}

function signalExitCode(signal: NodeJS.Signals | null): number {
  // Shell convention (128 + signal number), which is what a container runtime reports for a killed process.
  const number = signal ? (osConstants.signals as Record<string, number | undefined>)[signal] : undefined;
  return 128 + (number ?? 9);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A supervised process of a container: spawned by this emulator (`child`) or re-attached after a restart. */
interface SupervisedRun {
  pid: number;
  startTime: string;
  argv: string[];
  child?: ChildProcess;
  timer: NodeJS.Timeout;
  exited: Promise<void>;
  resolveExited: () => void;
}

/** One container of a group: its spec, its process, its states and output. */
class ContainerRuntime {
  restartCount = 0;
  currentState: ContainerState | undefined;
  previousState: ContainerState | undefined;
  readonly events: ContainerEvent[] = [];
  readonly logs = new LogBuffer();
  logOffset = 0;
  decoder = new StringDecoder('utf8');
  run: SupervisedRun | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  stopping = false;

  constructor(readonly spec: ContainerSpec) {}

  addEvent(name: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void {
    const at = now();
    const same = this.events.find((e) => e.name === name && e.message === message);
    if (same) {
      same.count += 1;
      same.lastTimestamp = at;
    } else {
      this.events.push({ count: 1, firstTimestamp: at, lastTimestamp: at, name, message, type });
    }
  }
}

/**
 * A container group running as local processes: one child process per container (argv, no shell), restart
 * policy applied on exit, stop/delete by SIGTERM then SIGKILL of the process group.
 */
export class ContainerGroupRuntime {
  provisioningState: ProvisioningState = 'Creating';
  /** Set by a user stop: nothing restarts until start. */
  stopped = false;
  /** Reason the deployment failed, for the async operation's error. */
  failure: { code: string; message: string } | undefined;
  readonly containers: ContainerRuntime[];
  /**
   * Set when the group was restored from the state dir: its secure values and secret volume contents were
   * never written there, so it cannot run again.
   */
  restoredWithoutSecrets = false;
  private pullTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Set by detach(): the emulator is going away and leaves the processes running. */
  private detached = false;

  constructor(
    public spec: ContainerGroupSpec,
    private readonly deps: RuntimeDependencies,
    private readonly label: string,
  ) {
    this.containers = spec.containers.map((c) => new ContainerRuntime(c));
  }

  get groupDir(): string {
    return this.deps.groupDir;
  }

  snapshot(): PersistedRuntime {
    return {
      provisioningState: this.provisioningState,
      stopped: this.stopped,
      ...(this.failure ? { failure: this.failure } : {}),
      containers: this.containers.map((c) => ({
        name: c.spec.name,
        restartCount: c.restartCount,
        ...(c.currentState ? { currentState: c.currentState } : {}),
        ...(c.previousState ? { previousState: c.previousState } : {}),
        events: c.events,
        logs: c.logs.snapshot(),
        logOffset: c.logOffset,
        ...(c.run ? { supervisor: { pid: c.run.pid, startTime: c.run.startTime } } : {}),
      })),
    };
  }

  /**
   * Restores a persisted group. A container whose supervisor was running is re-attached: it may have finished
   * meanwhile (its exit file tells how), still run, or be gone without a trace (reported lost, exit 137).
   */
  restore(state: PersistedRuntime, withoutSecrets: boolean): void {
    this.provisioningState = state.provisioningState;
    this.stopped = state.stopped;
    this.failure = state.failure;
    this.restoredWithoutSecrets = withoutSecrets;
    for (const persisted of state.containers) {
      const container = this.containers.find((c) => c.spec.name === persisted.name);
      if (!container) continue;
      container.restartCount = persisted.restartCount;
      container.currentState = persisted.currentState;
      container.previousState = persisted.previousState;
      container.events.push(...persisted.events);
      container.logs.append(persisted.logs);
      container.logOffset = persisted.logOffset ?? 0;
      const supervisor = persisted.supervisor;
      if (supervisor && persisted.currentState?.state === 'Running') {
        // Re-attached even if its image left the images map: then it is only not restarted.
        const argv = this.resolveArgv(container.spec) ?? [];
        this.watch(container, { pid: supervisor.pid, startTime: supervisor.startTime, argv });
        this.deps.log(
          `${this.label}/${container.spec.name}: re-attached to the running container (supervisor pid ${supervisor.pid})`,
        );
      } else if (persisted.currentState === undefined) this.adoptUnrecordedRun(container);
    }
    // Every container found running although the state file was written before they started: deployed.
    if (this.provisioningState === 'Creating' && this.containers.every((c) => c.run))
      this.provisioningState = 'Succeeded';
    this.markHostLost();
    // What ended while the emulator was down is reported right away.
    for (const container of this.containers) if (container.run) this.check(container);
  }

  /**
   * A container the state file shows as never started (the emulator saved the group, then was killed around
   * the spawn): if its supervisor record exists, that process is this container's run, re-attached rather
   * than lost (and rather than run a second time).
   */
  private adoptUnrecordedRun(container: ContainerRuntime): void {
    const dir = this.containerDir(container.spec);
    const record = readSupervisorRecord(dir);
    if (!record) return;
    if (!isSupervisorAlive(record.pid, dir) && !readSupervisorExit(dir)) return;
    container.currentState = { state: 'Running', startTime: record.startTime, detailStatus: '' };
    container.addEvent('Started', 'Started container');
    this.watch(container, {
      pid: record.pid,
      startTime: record.startTime,
      argv: this.resolveArgv(container.spec) ?? [],
    });
    this.deps.log(
      `${this.label}/${container.spec.name}: re-attached to a container started just before the emulator stopped (supervisor pid ${record.pid})`,
    );
  }

  /** Leaves every process running (the emulator is stopping with a state dir); nothing is reported any more. */
  detach(): void {
    clearTimeout(this.pullTimer);
    for (const container of this.containers) {
      clearTimeout(container.restartTimer);
      if (container.run) {
        this.readOutput(container);
        clearInterval(container.run.timer);
        container.run.child?.removeAllListeners('exit');
      }
    }
    this.detached = true;
  }

  private changed(): void {
    if (!this.disposed && !this.detached) this.deps.onChange?.();
  }

  /** Deploys: writes volumes, then starts every container (or records the pull failure). */
  start(): void {
    this.stopped = false;
    this.failure = undefined;
    this.prepareVolumes();
    let pullFailed = false;
    for (const container of this.containers) {
      container.restartCount = 0;
      container.previousState = undefined;
      container.stopping = false;
      const argv = this.resolveArgv(container.spec);
      if (!argv) {
        pullFailed = true;
        this.recordPullFailure(container);
        continue;
      }
      container.addEvent('Pulling', `pulling image "${container.spec.image}"`);
      container.addEvent('Pulled', `Successfully pulled image "${container.spec.image}"`);
      this.spawnContainer(container, argv);
    }
    if (pullFailed) {
      this.provisioningState = 'Creating';
      clearTimeout(this.pullTimer);
      this.pullTimer = setTimeout(() => {
        const image = this.containers.find((c) => c.currentState?.state === 'Waiting')?.spec.image ?? '';
        this.provisioningState = 'Failed';
        this.failure = { code: 'Failed', message: `Failed to pull image "${image}"` };
        this.deps.log(`${this.label}: deployment failed (image "${image}" could not be pulled)`);
        this.changed();
      }, this.deps.imagePullTimeoutMs);
      this.pullTimer.unref();
    } else {
      this.provisioningState = 'Succeeded';
    }
    this.changed();
  }

  /** ACI group state, derived like the service does from its containers. */
  groupState(): string {
    if (this.stopped) return 'Stopped';
    if (this.provisioningState === 'Failed') return 'Failed';
    const states = this.containers.map((c) => c.currentState);
    if (
      states.some((s) => s === undefined || (s.state === 'Waiting' && s.detailStatus !== 'CrashLoopBackOff'))
    )
      return 'Pending';
    if (states.some((s) => s?.state !== 'Terminated')) return 'Running';
    return states.every((s) => s?.exitCode === 0) ? 'Succeeded' : 'Failed';
  }

  /** Kills every process (SIGTERM, SIGKILL after the grace period); containers end Terminated. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pullTimer);
    if (this.provisioningState === 'Creating') {
      // A pending create operation must end rather than poll forever.
      this.provisioningState = 'Failed';
      this.failure = {
        code: 'Stopped',
        message: 'The container group was stopped before its deployment completed.',
      };
    }
    await Promise.all(this.containers.map((c) => this.killContainer(c)));
    for (const container of this.containers) {
      if (container.currentState?.state !== 'Terminated') {
        container.currentState = {
          state: 'Terminated',
          ...(container.currentState?.startTime ? { startTime: container.currentState.startTime } : {}),
          finishTime: now(),
          exitCode: signalExitCode('SIGKILL'),
          detailStatus: 'Killed',
        };
      }
    }
    this.changed();
  }

  /** Stops and removes the group's files. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
    fs.rmSync(this.deps.groupDir, { recursive: true, force: true });
  }

  logs(containerName: string, tail?: number): string | undefined {
    return this.containers.find((c) => c.spec.name === containerName)?.logs.read(tail);
  }

  /**
   * Marks containers that were running when the emulator died and cannot be re-attached, as a host failure
   * would leave them.
   */
  markHostLost(): void {
    for (const container of this.containers) {
      if (container.run) continue;
      if (container.currentState && container.currentState.state !== 'Terminated') {
        container.currentState = {
          state: 'Terminated',
          ...(container.currentState.startTime ? { startTime: container.currentState.startTime } : {}),
          finishTime: now(),
          exitCode: signalExitCode('SIGKILL'),
          detailStatus: 'Killed: the ACI emulator was restarted while the container was running',
        };
        container.addEvent('Killing', 'Killing container: the ACI emulator was restarted', 'Warning');
      }
    }
    if (this.provisioningState === 'Creating') {
      this.provisioningState = 'Failed';
      this.failure = { code: 'Failed', message: 'The ACI emulator was restarted during the deployment.' };
    }
  }

  private resolveArgv(spec: ContainerSpec): string[] | undefined {
    if (spec.command) return spec.command;
    const images = this.deps.images;
    const untagged = spec.image.replace(/:latest$/, '');
    return images.get(spec.image) ?? images.get(untagged) ?? images.get(`${untagged}:latest`);
  }

  private recordPullFailure(container: ContainerRuntime): void {
    const image = container.spec.image;
    // Wording of ACI's own events for an image it cannot pull.
    container.addEvent('Pulling', `pulling image "${image}"`);
    container.addEvent(
      'Failed',
      `Failed to pull image "${image}": rpc error: code = NotFound desc = image "${image}" not found: no command given and no entry in the ACI emulator's images map`,
      'Warning',
    );
    container.addEvent('BackOff', `Back-off pulling image "${image}"`);
    container.currentState = { state: 'Waiting', detailStatus: 'ErrImagePull' };
    this.deps.log(
      `${this.label}/${container.spec.name}: image "${image}" has no command and is not in the images map`,
    );
  }

  private volumeDir(volume: string): string {
    return path.join(this.deps.groupDir, 'volumes', volume);
  }

  private rootDir(container: ContainerSpec): string {
    return path.join(this.deps.groupDir, 'containers', container.name, 'rootfs');
  }

  private prepareVolumes(): void {
    for (const volume of this.spec.volumes) {
      const dir = this.volumeDir(volume.name);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      for (const [file, content] of Object.entries(volume.secret ?? {})) {
        fs.writeFileSync(path.join(dir, file), Buffer.from(content, 'base64'), { mode: 0o400 });
      }
    }
    for (const container of this.spec.containers) {
      const root = this.rootDir(container);
      fs.mkdirSync(root, { recursive: true });
      for (const mount of container.volumeMounts) {
        const link = path.join(root, mount.mountPath);
        fs.mkdirSync(path.dirname(link), { recursive: true });
        fs.rmSync(link, { recursive: true, force: true });
        fs.symlinkSync(this.volumeDir(mount.name), link, 'dir');
      }
    }
  }

  /**
   * Containers see their volumes at `mountPath`; a local process cannot. An argument or environment value that
   * IS a path under a mount (`/mnt/event/event.json`, or `--file=/mnt/...`) gets the real directory instead.
   * Paths embedded elsewhere in a value (e.g. inside a script) are left alone: the job can use
   * ACI_EMULATOR_MOUNT_ROOT for those.
   */
  private rewriteMountPaths(container: ContainerSpec, text: string): string {
    const mounts = [...container.volumeMounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
    for (const mount of mounts) {
      const pattern = new RegExp(`^([^=\\s]*=)?${escapeRegExp(mount.mountPath)}(?=/|$)`);
      if (pattern.test(text)) {
        return text.replace(
          pattern,
          (_m, lead: string | undefined) => `${lead ?? ''}${this.volumeDir(mount.name)}`,
        );
      }
    }
    return text;
  }

  private containerDir(spec: ContainerSpec): string {
    return path.join(this.deps.groupDir, 'containers', spec.name);
  }

  private spawnContainer(container: ContainerRuntime, argv: string[]): void {
    const spec = container.spec;
    const env: Record<string, string> = {
      // A container does not inherit the host's environment; PATH is kept so that argv[0] (e.g. "node") resolves.
      PATH: process.env['PATH'] ?? '',
      ...(process.platform === 'win32' && process.env['SystemRoot']
        ? { SystemRoot: process.env['SystemRoot'] }
        : {}),
      HOSTNAME: this.label.split('/').pop() ?? 'aci',
      [MOUNT_ROOT_ENV]: this.rootDir(spec),
    };
    for (const variable of spec.environmentVariables) {
      env[variable.name] = this.rewriteMountPaths(spec, variable.secureValue ?? variable.value ?? '');
    }
    const [file, ...args] = argv.map((part) => this.rewriteMountPaths(spec, part));
    const startTime = now();
    let child: ChildProcess;
    try {
      child = (this.deps.supervise ? spawnSupervisor : spawnUnsupervised)({
        argv: [file ?? '', ...args],
        cwd: this.rootDir(spec),
        env,
        dir: this.containerDir(spec),
        startTime,
      });
    } catch (err) {
      this.onExit(container, argv, startTime, {
        exitCode: 127,
        signal: null,
        finishTime: now(),
        error: (err as Error).message,
      });
      return;
    }
    if (child.pid === undefined && !this.deps.supervise) {
      // argv[0] not found: Node reports it asynchronously.
      container.currentState = { state: 'Running', startTime, detailStatus: '' };
      child.once('error', (err) =>
        this.onExit(container, argv, startTime, {
          exitCode: 127,
          signal: null,
          finishTime: now(),
          error: err.message,
        }),
      );
      return;
    }
    if (child.pid === undefined) {
      this.onExit(container, argv, startTime, {
        exitCode: 127,
        signal: null,
        finishTime: now(),
        error: `the ACI emulator could not start the process supervisor (${process.execPath})`,
      });
      return;
    }
    if (this.deps.supervise) writeSupervisorRecord(this.containerDir(spec), { pid: child.pid, startTime });
    container.currentState = { state: 'Running', startTime, detailStatus: '' };
    container.addEvent('Started', `Started container`);
    this.deps.log(
      `${this.label}/${spec.name}: started ${JSON.stringify(file)} (${this.deps.supervise ? 'supervisor ' : ''}pid ${child.pid})`,
    );
    this.watch(container, { pid: child.pid, startTime, argv, child });
    this.changed();
  }

  /** Follows a container's process: its output as it grows, its end through the exit file. */
  private watch(
    container: ContainerRuntime,
    run: { pid: number; startTime: string; argv: string[]; child?: ChildProcess },
  ): void {
    let resolveExited = (): void => undefined;
    const exited = new Promise<void>((resolve) => (resolveExited = resolve));
    const timer = setInterval(() => this.check(container), this.deps.pollMs ?? 200);
    timer.unref();
    container.run = { ...run, timer, exited, resolveExited };
    // The emulator's own child: its exit is seen at once (the exit file is written before it exits).
    run.child?.once('exit', () => this.check(container));
  }

  /** Reads new output; finishes the run if its exit file is there or its supervisor is gone. */
  private check(container: ContainerRuntime): void {
    const run = container.run;
    if (!run || this.detached) return;
    this.readOutput(container);
    let exit = readSupervisorExit(this.containerDir(container.spec));
    if (!exit) {
      const alive = run.child
        ? run.child.exitCode === null && run.child.signalCode === null
        : isSupervisorAlive(run.pid, this.containerDir(container.spec));
      if (alive) return;
      // It may have written the file between the two looks.
      exit = readSupervisorExit(this.containerDir(container.spec)) ?? {
        exitCode: null,
        signal: 'SIGKILL',
        finishTime: now(),
        ...(container.stopping ? {} : { lost: true }),
      };
    }
    clearInterval(run.timer);
    container.run = undefined;
    this.readOutput(container);
    this.onExit(container, run.argv, run.startTime, exit);
    run.resolveExited();
  }

  /** Appends what the process wrote since the last look (also to the emulator's log, for `--verbose`). */
  private readOutput(container: ContainerRuntime): void {
    const file = logFileOf(this.containerDir(container.spec));
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return;
    }
    let text = '';
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const read = fs.readSync(fd, buffer, 0, buffer.length, container.logOffset);
        if (read <= 0) break;
        container.logOffset += read;
        text += container.decoder.write(buffer.subarray(0, read));
      }
    } finally {
      fs.closeSync(fd);
    }
    if (!text) return;
    container.logs.append(text);
    for (const line of text.replace(/\n$/, '').split('\n'))
      this.deps.log(`${this.label}/${container.spec.name}> ${line}`);
    this.changed();
  }

  private onExit(
    container: ContainerRuntime,
    argv: string[],
    startTime: string,
    exit: SupervisorExit & { lost?: boolean },
  ): void {
    const spec = container.spec;
    const stoppedByUser = container.stopping;
    const spawnError = exit.error;
    const exitCode = spawnError ? 127 : (exit.exitCode ?? signalExitCode(exit.signal));
    if (spawnError) {
      container.addEvent(
        'Failed',
        `Error: failed to start container "${spec.name}": ${spawnError}`,
        'Warning',
      );
      container.logs.append(`${spawnError}\n`);
    }
    if (exit.lost) {
      container.addEvent(
        'Killing',
        'Killing container: its process was lost while the ACI emulator was down',
        'Warning',
      );
    }
    const terminated: ContainerState = {
      state: 'Terminated',
      startTime,
      finishTime: exit.finishTime,
      exitCode,
      detailStatus: stoppedByUser
        ? 'Killed'
        : exit.lost
          ? 'Killed: the container process was lost while the ACI emulator was down'
          : spawnError
            ? 'ContainerCannotRun'
            : exitCode === 0
              ? 'Completed'
              : 'Error',
    };
    container.currentState = terminated;
    this.deps.log(
      `${this.label}/${spec.name}: exited with code ${exitCode}${exit.signal ? ` (${exit.signal})` : ''}${stoppedByUser ? ' after stop' : ''}${exit.lost ? ' (lost)' : ''}`,
    );
    this.changed();
    if (stoppedByUser || this.stopped || this.disposed || this.detached) return;
    if (!this.shouldRestart(this.spec.restartPolicy, exitCode) || argv.length === 0) return;
    if (this.restoredWithoutSecrets) {
      container.addEvent(
        'BackOff',
        'Not restarting: the group was restored from the ACI emulator state dir, which never holds secure values',
        'Warning',
      );
      return;
    }
    container.previousState = terminated;
    container.restartCount += 1;
    container.currentState = { state: 'Waiting', detailStatus: 'CrashLoopBackOff' };
    const backoff = Math.min(100 * 2 ** (container.restartCount - 1), MAX_RESTART_BACKOFF_MS);
    container.addEvent('BackOff', `Back-off restarting failed container`, 'Warning');
    container.restartTimer = setTimeout(() => {
      container.restartTimer = undefined;
      if (!this.stopped && !this.disposed && !this.detached) this.spawnContainer(container, argv);
    }, backoff);
  }

  private shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
    return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
  }

  private async killContainer(container: ContainerRuntime): Promise<void> {
    clearTimeout(container.restartTimer);
    container.restartTimer = undefined;
    const run = container.run;
    if (!run) return;
    container.stopping = true;
    container.addEvent('Killing', `Killing container with id ${run.pid}.`);
    signalSupervisor(run.pid, 'SIGTERM');
    const escalate = setTimeout(() => signalSupervisor(run.pid, 'SIGKILL'), this.deps.killGraceMs);
    // Re-attached processes are not our children: poll faster than usual while waiting for them to go.
    const poll = setInterval(() => this.check(container), 25);
    await run.exited;
    clearInterval(poll);
    clearTimeout(escalate);
  }
}
