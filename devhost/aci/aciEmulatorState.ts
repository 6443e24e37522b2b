import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PersistedRuntime } from './containerGroupRuntime';
import { isSupervisorAlive, signalSupervisor } from './containerSupervisor';
import type { ContainerGroupSpec } from './validateContainerGroup';

/** The ACI emulator's state file in its state dir: groups (without secrets) and pending operations. */
export const STATE_FILE = 'containerGroups.json';
const STATE_VERSION = 1;

export interface PersistedGroup {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** Secure values and secret volume contents replaced by '' (never written to disk). */
  spec: ContainerGroupSpec;
  redacted: boolean;
  /** The group's directory (volumes, container output and exit files), under <stateDir>/groups. */
  dir?: string;
  runtime: PersistedRuntime;
}

export interface PersistedOperation {
  id: string;
  subscriptionId: string;
  location: string;
  groupKey: string;
  startTime: string;
  endTime?: string;
}

export interface PersistedState {
  version: number;
  groups: PersistedGroup[];
  operations: PersistedOperation[];
  /** Accept times of recent creates per subscription|region (the create-rate quota survives a restart). */
  createTimes?: Record<string, number[]>;
}

/** The spec as it may be written to disk: secure values and secret volume contents blanked. */
export function redact(spec: ContainerGroupSpec): { spec: ContainerGroupSpec; redacted: boolean } {
  let redacted = false;
  const containers = spec.containers.map((c) => ({
    ...c,
    environmentVariables: c.environmentVariables.map((v) => {
      if (v.secureValue === undefined) return v;
      redacted = true;
      return { name: v.name, secureValue: '' };
    }),
  }));
  const volumes = spec.volumes.map((v) => {
    if (!v.secret) return v;
    redacted = true;
    return { ...v, secret: Object.fromEntries(Object.keys(v.secret).map((file) => [file, ''])) };
  });
  return { spec: { ...spec, containers, volumes }, redacted };
}

/** Reads the state file of a state dir; undefined when there is none. Throws a clear error when unreadable. */
export function readState(stateDir: string): PersistedState | undefined {
  const file = path.join(stateDir, STATE_FILE);
  if (!fs.existsSync(file)) return undefined;
  let state: PersistedState;
  try {
    state = JSON.parse(fs.readFileSync(file, 'utf8')) as PersistedState;
  } catch (err) {
    throw new Error(`ACI emulator state file ${file}: cannot be read (${(err as Error).message})`);
  }
  if (state.version !== STATE_VERSION || !Array.isArray(state.groups)) {
    throw new Error(
      `ACI emulator state file ${file}: unsupported format (expected version ${STATE_VERSION})`,
    );
  }
  return state;
}

/** Writes the state file atomically (temp file + rename), so a kill mid-write leaves the previous one. */
export function writeState(
  stateDir: string,
  groups: PersistedGroup[],
  operations: PersistedOperation[],
  createTimes: Record<string, number[]>,
): void {
  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, STATE_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  const state: PersistedState = { version: STATE_VERSION, groups, operations, createTimes };
  fs.writeFileSync(temp, JSON.stringify(state));
  fs.renameSync(temp, file);
}

/**
 * Kills (SIGKILL, process group) every container a state dir says is still running, e.g. what a stopped
 * `dispatcher dev --state` left behind. Returns how many were killed. For tests and clean-up.
 */
export function killPersistedContainers(stateDir: string): number {
  let state: PersistedState | undefined;
  try {
    state = readState(stateDir);
  } catch {
    return 0;
  }
  let killed = 0;
  for (const group of state?.groups ?? []) {
    for (const container of group.runtime.containers) {
      const pid = container.supervisor?.pid;
      if (pid === undefined || !group.dir) continue;
      if (!isSupervisorAlive(pid, path.join(group.dir, 'containers', container.name))) continue;
      signalSupervisor(pid, 'SIGKILL');
      killed += 1;
    }
  }
  return killed;
}
