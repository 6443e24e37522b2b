/** What a supervisor needs of an emulator: RunningAciEmulator and RunningServiceBusEmulator both fit. */
export interface SupervisedEmulator {
  port: number;
  close(options?: unknown): Promise<void>;
}

export interface SupervisionPolicy {
  /**
   * Restart a dead emulator (on the same port, from the same state directory). Only meaningful with a state
   * directory: a fresh emulator without one has lost every message or container group the stack relies on.
   */
  restart: boolean;
  /** Give up (fatal) after this many restarts within `windowMs`: a crash loop is a bug to see, not to hide. */
  maxRestarts?: number;
  windowMs?: number;
}

export interface SupervisionEvents<T> {
  /** A line worth a warning: the emulator died and is being restarted. */
  warn(message: string): void;
  /** The restarted emulator is listening (e.g. trust its CA, which may have been renewed). */
  restarted(emulator: T): void;
  /** The stack cannot go on: the emulator died and was not (or could not be) restarted. Called at most once. */
  fatal(error: Error): void;
}

export interface EmulatorSupervisor<T> {
  current(): T;
  /** Stops supervising and closes the emulator (waiting for a restart under way). */
  close(options?: unknown): Promise<void>;
}

/**
 * Keeps one emulator process of the dev stack alive, or says loudly that the stack cannot go on. Without it an
 * emulator that was killed (OOM killer, kill -9, a crash) left `dispatcher dev` running against a dead port,
 * with every function failing on connection errors and nothing saying why.
 *
 * `start(port, onUnexpectedExit)` starts the emulator (port 0 = free port) and must call `onUnexpectedExit`
 * once if it dies later (startEmulatorProcess does). Restarts reuse the first run's port, so the app's clients
 * (connection string, ARM endpoint) reconnect to the same address.
 */
export async function superviseEmulator<T extends SupervisedEmulator>(
  name: string,
  port: number,
  start: (port: number, onUnexpectedExit: (description: string) => void) => Promise<T>,
  policy: SupervisionPolicy,
  events: SupervisionEvents<T>,
): Promise<EmulatorSupervisor<T>> {
  const maxRestarts = policy.maxRestarts ?? 3;
  const windowMs = policy.windowMs ?? 60_000;
  const restarts: number[] = [];
  let closing = false;
  let failed = false;
  let restarting: Promise<void> | undefined;

  const fail = (message: string): void => {
    if (failed || closing) return;
    failed = true;
    events.fatal(new Error(message));
  };

  const onUnexpectedExit = (description: string): void => {
    if (closing || failed) return;
    if (!policy.restart) {
      fail(
        `${description}. Without --state a new ${name} would start empty, so the stack stops: start it ` +
          `again (with --state <dir>, a dead emulator is restarted with its state and the stack goes on)`,
      );
      return;
    }
    const now = Date.now();
    while (restarts.length > 0 && (restarts[0] ?? 0) < now - windowMs) restarts.shift();
    if (restarts.length >= maxRestarts) {
      fail(
        `${description}, its ${maxRestarts + 1}th death within ${windowMs / 1000} s: stopping the stack ` +
          `instead of restarting it again`,
      );
      return;
    }
    restarts.push(now);
    events.warn(`${description}; restarting the ${name} on port ${current.port} with its state`);
    restarting = start(current.port, onUnexpectedExit).then(
      (emulator) => {
        restarting = undefined;
        current = emulator;
        if (closing) return;
        events.warn(`${name} restarted on port ${emulator.port}`);
        events.restarted(emulator);
      },
      (err: unknown) => {
        restarting = undefined;
        fail(
          `${description}, and restarting it failed: ${err instanceof Error ? err.message : String(err)}: ` +
            `stopping the stack`,
        );
      },
    );
  };

  let current = await start(port, onUnexpectedExit);
  return {
    current: () => current,
    close: async (options?: unknown) => {
      closing = true;
      await restarting;
      await current.close(options);
    },
  };
}
