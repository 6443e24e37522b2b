import type { DurableCounters } from './durableTypes';
import type { HistoryEvent } from './historyEvent';
import type { ActivityWorkItem } from './instanceRecord';

export interface WorkSchedulerHooks {
  /** Whether the instance has inbox events an episode should run for now. */
  hasPendingWork(instanceId: string): boolean;
  /** Runs one episode; must not throw. */
  runEpisode(instanceId: string): Promise<void>;
  /** Runs one activity; resolves with its completion event (never rejects). */
  runActivity(item: ActivityWorkItem): Promise<HistoryEvent>;
  /** Hands a finished activity's completion event to its instance. */
  activityDone(item: ActivityWorkItem, event: HistoryEvent): void;
}

/**
 * Runs episodes and activities within the maxConcurrent* limits: at most one episode per instance at a
 * time, instances in the order they became ready, activities first come first served. Counts the work
 * queued or running so callers can wait until the engine is idle.
 */
export class WorkScheduler {
  private readonly readyInstances: string[] = [];
  private readonly readySet = new Set<string>();
  private readonly runningEpisodes = new Set<string>();
  private readonly activityQueue: ActivityWorkItem[] = [];
  private runningActivities = 0;
  private busy = 0;
  private idleWaiters: Array<() => void> = [];
  private started = false;
  private stopped = false;

  constructor(
    private readonly limits: {
      maxConcurrentActivityFunctions: number;
      maxConcurrentOrchestratorFunctions: number;
    },
    private readonly counters: DurableCounters,
    private readonly hooks: WorkSchedulerHooks,
  ) {}

  /** Until started, ready instances are not scheduled (the engine resumes them all at start). */
  start(): void {
    this.started = true;
  }

  /** Drops queued work; results of work still running are ignored. */
  stop(): void {
    this.stopped = true;
    this.activityQueue.length = 0;
    this.readyInstances.length = 0;
    this.readySet.clear();
    this.busy = 0;
    this.flushIdleWaiters();
  }

  /** Schedules an episode for the instance if it has pending work and none is queued or running. */
  kick(instanceId: string): void {
    if (this.stopped || !this.started || !this.hooks.hasPendingWork(instanceId)) {
      return;
    }
    if (this.readySet.has(instanceId) || this.runningEpisodes.has(instanceId)) {
      return;
    }
    this.readySet.add(instanceId);
    this.readyInstances.push(instanceId);
    this.busy++;
    this.pump();
  }

  enqueueActivity(item: ActivityWorkItem): void {
    if (this.stopped) {
      return;
    }
    this.busy++;
    this.activityQueue.push(item);
    this.pump();
  }

  /** Runs other work (entity batches) counted as busy, so waiting for idle waits for it too. `work` must not reject. */
  track(work: () => Promise<void>): void {
    if (this.stopped) {
      return;
    }
    this.busy++;
    void work().then(() => {
      if (!this.stopped) {
        this.releaseBusy();
      }
    });
  }

  /** Resolves when no episode, activity or tracked work is queued or running. */
  async waitForIdle(): Promise<void> {
    for (;;) {
      if (this.busy === 0) {
        // Let promise continuations that may enqueue more work run first.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.busy === 0) {
          return;
        }
      } else {
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      }
    }
  }

  private pump(): void {
    while (
      !this.stopped &&
      this.runningEpisodes.size < this.limits.maxConcurrentOrchestratorFunctions &&
      this.readyInstances.length > 0
    ) {
      const instanceId = this.readyInstances.shift() as string;
      this.readySet.delete(instanceId);
      this.runningEpisodes.add(instanceId);
      this.counters.peakConcurrentEpisodes = Math.max(
        this.counters.peakConcurrentEpisodes,
        this.runningEpisodes.size,
      );
      void this.runEpisode(instanceId);
    }
    while (
      !this.stopped &&
      this.runningActivities < this.limits.maxConcurrentActivityFunctions &&
      this.activityQueue.length > 0
    ) {
      const item = this.activityQueue.shift() as ActivityWorkItem;
      this.runningActivities++;
      this.counters.peakConcurrentActivities = Math.max(
        this.counters.peakConcurrentActivities,
        this.runningActivities,
      );
      void this.runActivity(item);
    }
  }

  private async runEpisode(instanceId: string): Promise<void> {
    try {
      await this.hooks.runEpisode(instanceId);
    } finally {
      this.runningEpisodes.delete(instanceId);
      if (!this.stopped) {
        // Events that arrived while the episode ran get the next one.
        this.kick(instanceId);
        this.pump();
      }
      this.releaseBusy();
    }
  }

  private async runActivity(item: ActivityWorkItem): Promise<void> {
    let event: HistoryEvent;
    try {
      event = await this.hooks.runActivity(item);
    } finally {
      this.runningActivities--;
    }
    if (!this.stopped) {
      this.hooks.activityDone(item, event);
      this.pump();
      this.releaseBusy();
    }
  }

  private releaseBusy(): void {
    this.busy = Math.max(0, this.busy - 1);
    if (this.busy === 0) {
      this.flushIdleWaiters();
    }
  }

  private flushIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) {
      waiter();
    }
  }
}
