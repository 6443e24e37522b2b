/** A timer armed on a {@link Clock}. */
export interface ClockTimer {
  readonly dueAt: number;
  cancel(): void;
}

/** Time source of the durable engine: orchestration time and durable timers both come from it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once the clock reaches `dueAt` (immediately-ish if it already has). */
  setTimer(dueAt: number, callback: () => void): ClockTimer;
}

// setTimeout cannot wait longer than 2^31-1 ms; longer timers re-arm in steps.
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Wall-clock time and real `setTimeout`s. */
export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(dueAt: number, callback: () => void): ClockTimer {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      const delay = Math.max(0, dueAt - Date.now());
      handle = setTimeout(
        () => {
          if (cancelled) {
            return;
          }
          if (Date.now() < dueAt) {
            arm();
            return;
          }
          callback();
        },
        Math.min(delay, MAX_TIMEOUT_MS),
      );
    };
    arm();
    return {
      dueAt,
      cancel: () => {
        cancelled = true;
        if (handle) {
          clearTimeout(handle);
        }
      },
    };
  }
}

interface VirtualTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * Simulated time for tests and simulations: time only moves when `advance`,
 * `advanceTo` or `fireNext` is called, timers fire in due order, and between
 * two timers the clock waits until the attached engine has nothing left to do,
 * so a 24 h workflow runs in milliseconds with the same history it would have
 * on the real clock.
 */
export class VirtualClock implements Clock {
  private current: number;
  private timers: VirtualTimer[] = [];
  private nextId = 1;
  private readonly settleHooks = new Set<() => Promise<void>>();

  /** @param start start time (Date or epoch ms); default 2026-01-01T00:00:00Z so runs are reproducible. */
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
    if (!Number.isFinite(this.current)) {
      throw new RangeError(`VirtualClock: invalid start time ${String(start)}`);
    }
  }

  now(): number {
    return this.current;
  }

  setTimer(dueAt: number, callback: () => void): ClockTimer {
    const timer: VirtualTimer = { id: this.nextId++, dueAt, callback, cancelled: false };
    this.timers.push(timer);
    // Stable order: due time, then arming order.
    this.timers.sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    return {
      dueAt,
      cancel: () => {
        timer.cancelled = true;
        this.timers = this.timers.filter((t) => t !== timer);
      },
    };
  }

  /** Registers a function the clock awaits before and after each timer (the engine's "until idle"). */
  attach(settle: () => Promise<void>): () => void {
    this.settleHooks.add(settle);
    return () => this.settleHooks.delete(settle);
  }

  /** Due time of the earliest pending timer, if any. */
  nextDueAt(): number | undefined {
    return this.timers[0]?.dueAt;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`VirtualClock.advance: ms must be a finite number >= 0, got ${ms}`);
    }
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(target: number | Date): Promise<void> {
    const targetMs = typeof target === 'number' ? target : target.getTime();
    if (!Number.isFinite(targetMs)) {
      throw new RangeError(`VirtualClock.advanceTo: invalid target ${String(target)}`);
    }
    await this.settle();
    for (;;) {
      const next = this.timers[0];
      if (!next || next.dueAt > targetMs) {
        break;
      }
      // Timers due at the same instant fire together, so their work can run concurrently.
      for (let due = this.timers[0]; due && due.dueAt === next.dueAt; due = this.timers[0]) {
        this.fire(due);
      }
      await this.settle();
    }
    if (targetMs > this.current) {
      this.current = targetMs;
    }
    await this.settle();
  }

  /** Jumps to the earliest pending timer and fires it (and any due at the same instant). Returns false if there is none. */
  async fireNext(): Promise<boolean> {
    await this.settle();
    const next = this.timers[0];
    if (!next) {
      return false;
    }
    await this.advanceTo(next.dueAt);
    return true;
  }

  private fire(timer: VirtualTimer): void {
    this.timers.shift();
    if (timer.dueAt > this.current) {
      this.current = timer.dueAt;
    }
    if (!timer.cancelled) {
      timer.callback();
    }
  }

  private async settle(): Promise<void> {
    for (const hook of this.settleHooks) {
      await hook();
    }
  }
}
