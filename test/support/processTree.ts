import { readFileSync, readdirSync } from 'node:fs';

/**
 * Linux /proc helpers for tests that must prove no process is left behind (by pid and parentage, never by
 * name: other people on the machine run the same programs).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is dead for our purposes (its parent has not reaped it yet).
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Direct children of `pid`, over all its threads. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' '))
        if (Number(child) > 0) out.push(Number(child));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Every live descendant of `pid` (children, grandchildren, ...). */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of childrenOf(queue.shift() ?? 0)) {
      if (!isAlive(child)) continue;
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** The emulator child process of the given kind among `pid`'s descendants (see devhost/dev/emulatorProcess). */
export function emulatorPid(pid: number, kind: 'aci' | 'servicebus'): number | undefined {
  return descendantsOf(pid).find((p) => {
    const argv = commandLine(p);
    return argv.some((a) => a.endsWith('emulatorProcess.js')) && argv.includes(kind);
  });
}

export async function waitUntil(what: string, test: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
