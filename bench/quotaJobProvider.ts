import { CapacityProviderError } from '../shared/errors/dispatchErrors';
import type { CreatedJob, JobProvider, JobSpec, JobStatus, JobTarget } from '../adapters/aci/jobProvider';
import { VirtualJobProvider, type TimeSource } from './virtualJobProvider';

/**
 * A VirtualJobProvider behind a container-group quota, the way ACI answers past it: the create is refused with
 * `ContainerGroupQuotaReached` (a capacity error). Counts creates, refusals, the peak and the group-time used.
 */
export class QuotaJobProvider implements JobProvider {
  readonly inner: VirtualJobProvider;
  creates = 0;
  rejected = 0;
  peak = 0;
  groupMs = 0;
  lastDeleteAt = 0;
  private readonly live = new Map<string, number>();

  constructor(
    private readonly clock: TimeSource,
    private readonly quota: number,
  ) {
    this.inner = new VirtualJobProvider(clock);
  }

  get inUse(): number {
    return this.live.size;
  }

  create(spec: JobSpec, target: JobTarget): Promise<CreatedJob> {
    if (this.live.has(spec.name)) return Promise.resolve({ target, reused: true });
    this.creates++;
    if (this.live.size >= this.quota) {
      this.rejected++;
      return Promise.reject(
        new CapacityProviderError(
          `The container group quota ${this.quota} of the subscription in ${target.location} was reached`,
          'ContainerGroupQuotaReached',
        ),
      );
    }
    // Counted before the await: concurrent creates must see each other.
    this.live.set(spec.name, this.clock.now());
    this.peak = Math.max(this.peak, this.live.size);
    return this.inner.create(spec, target);
  }

  status(name: string): Promise<JobStatus> {
    return this.inner.status(name);
  }

  logs(): Promise<string> {
    return this.inner.logs();
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  async delete(name: string): Promise<void> {
    const createdAt = this.live.get(name);
    if (createdAt !== undefined) {
      this.live.delete(name);
      this.groupMs += this.clock.now() - createdAt;
      this.lastDeleteAt = Math.max(this.lastDeleteAt, this.clock.now());
    }
    await this.inner.delete(name);
  }
}
