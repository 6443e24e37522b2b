import type { CreatedJob, JobProvider, JobSpec, JobStatus, JobTarget } from '../adapters/aci/jobProvider';
import type { DeadLetterCopyRequest, EventQueue, RequeueRequest } from '../adapters/serviceBus/eventQueue';

/** Anything with a `now()` in epoch milliseconds: the durable engine's VirtualClock in the benchmarks. */
export interface TimeSource {
  now(): number;
}

/** What the provider knows about one job, for the detection-delay figure. */
export interface VirtualJobRecord {
  name: string;
  createdAt: number;
  /** When the job terminates (createdAt + its duration). */
  endsAt: number;
  statusCalls: number;
  /** Time of the first status call that reported the job terminated. */
  firstSeenEndedAt?: number;
  deleted: boolean;
}

/**
 * A JobProvider whose jobs run for a fixed virtual duration and then exit 0, on the clock it is given. Durations
 * are looked up by job name, so several orchestrations (ours and the naive monitor) can share one provider.
 */
export class VirtualJobProvider implements JobProvider {
  private readonly jobs = new Map<string, VirtualJobRecord>();
  private readonly durations = new Map<string, number>();

  constructor(private readonly clock: TimeSource) {}

  /** Declares how long the job called `name` runs once created. */
  planJob(name: string, durationMs: number): void {
    if (!Number.isFinite(durationMs) || durationMs < 0) {
      throw new RangeError(
        `VirtualJobProvider.planJob('${name}'): durationMs must be a finite number >= 0, got ${durationMs}`,
      );
    }
    this.durations.set(name, durationMs);
  }

  record(name: string): VirtualJobRecord | undefined {
    const job = this.jobs.get(name);
    return job ? { ...job } : undefined;
  }

  create(spec: JobSpec, target: JobTarget): Promise<CreatedJob> {
    const existing = this.jobs.get(spec.name);
    if (existing) return Promise.resolve({ target, reused: true });
    const duration = this.durations.get(spec.name);
    if (duration === undefined) {
      return Promise.reject(
        new Error(`VirtualJobProvider: no duration planned for job '${spec.name}' (call planJob first)`),
      );
    }
    const now = this.clock.now();
    this.jobs.set(spec.name, {
      name: spec.name,
      createdAt: now,
      endsAt: now + duration,
      statusCalls: 0,
      deleted: false,
    });
    return Promise.resolve({ target, reused: false });
  }

  status(name: string): Promise<JobStatus> {
    const job = this.jobs.get(name);
    if (!job) return Promise.reject(new Error(`VirtualJobProvider: no job named '${name}'`));
    job.statusCalls++;
    const now = this.clock.now();
    if (now < job.endsAt) {
      return Promise.resolve({ state: 'Running', startTime: new Date(job.createdAt).toISOString() });
    }
    job.firstSeenEndedAt ??= now;
    return Promise.resolve({
      state: 'Succeeded',
      exitCode: 0,
      startTime: new Date(job.createdAt).toISOString(),
      finishTime: new Date(job.endsAt).toISOString(),
    });
  }

  logs(): Promise<string> {
    return Promise.resolve('done\n');
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  delete(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (job) job.deleted = true;
    return Promise.resolve();
  }
}

/** An EventQueue that only counts: every benchmark job exits 0, so nothing should be requeued or dead-lettered. */
export class CountingEventQueue implements EventQueue {
  requeued = 0;
  deadLettered = 0;

  requeue(_request: RequeueRequest): Promise<void> {
    this.requeued++;
    return Promise.resolve();
  }

  sendDeadLetterCopy(_request: DeadLetterCopyRequest): Promise<void> {
    this.deadLettered++;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
