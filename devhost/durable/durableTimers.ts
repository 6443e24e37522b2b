import type { Clock, ClockTimer } from './clock';
import type { InstanceRecord, TaskRecord } from './instanceRecord';

/** Called when a timer is due, with the execution it was armed for. */
export type TimerFiredHandler = (instanceId: string, executionId: string, task: TaskRecord) => void;

/**
 * The durable timers armed on the clock, one per (instance, execution, sequence number). Arming is
 * idempotent, so resuming an instance after a restart can arm everything not yet fired.
 */
export class DurableTimers {
  private readonly armed = new Map<string, ClockTimer>();
  private readonly firedListeners = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly onFired: TimerFiredHandler,
  ) {}

  get armedCount(): number {
    return this.armed.size;
  }

  /** Due time of the earliest armed timer (clock ms); undefined if none is armed. */
  earliestDueAt(): number | undefined {
    return this.armed.size === 0 ? undefined : Math.min(...[...this.armed.values()].map((t) => t.dueAt));
  }

  /** Resolves after the next timer fires. */
  nextFiring(): Promise<void> {
    return new Promise<void>((resolve) => {
      const listener = (): void => {
        this.firedListeners.delete(listener);
        resolve();
      };
      this.firedListeners.add(listener);
    });
  }

  arm(record: InstanceRecord, task: TaskRecord): void {
    if (this.stopped) {
      return;
    }
    const key = timerKey(record, task.seq);
    if (this.armed.has(key)) {
      return;
    }
    const instanceId = record.instanceId;
    const executionId = record.executionId;
    const timer = this.clock.setTimer(Date.parse(task.fireAt ?? ''), () => {
      this.armed.delete(key);
      this.onFired(instanceId, executionId, task);
      for (const listener of [...this.firedListeners]) {
        listener();
      }
    });
    this.armed.set(key, timer);
  }

  disarm(record: InstanceRecord, seq: number): void {
    const key = timerKey(record, seq);
    this.armed.get(key)?.cancel();
    this.armed.delete(key);
  }

  disarmInstance(record: InstanceRecord): void {
    for (const task of Object.values(record.tasks)) {
      if (task.kind === 'timer' || task.kind === 'retryTimer') {
        this.disarm(record, task.seq);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.armed.values()) {
      timer.cancel();
    }
    this.armed.clear();
  }
}

function timerKey(record: InstanceRecord, seq: number): string {
  return `${record.instanceId}\u0000${record.executionId}\u0000${seq}`;
}
