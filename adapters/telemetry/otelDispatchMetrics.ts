import { ValueType, type Attributes, type Counter, type Histogram, type Meter } from '@opentelemetry/api';
import {
  MetricAttribute,
  MetricName,
  type DispatchMetrics,
  type SettledJob,
  type SweepAction,
} from '../../shared/metrics/dispatchMetrics';

/** The metrics port over an OpenTelemetry meter (Azure Monitor in Azure, an in-memory reader in tests). */
export class OtelDispatchMetrics implements DispatchMetrics {
  private readonly received: Counter;
  private readonly rejected: Counter;
  private readonly started: Counter;
  private readonly settled: Counter;
  private readonly cancelled: Counter;
  private readonly sweeps: Counter;
  private readonly vcpuSeconds: Counter;
  private readonly gbSeconds: Counter;
  private readonly duration: Histogram;
  private readonly detection: Histogram;
  private readonly capacity: Histogram;

  constructor(meter: Meter) {
    // Counts are integers; resource time is fractional (0.5 vCPU x 1.2 s).
    const counter = (name: string, description: string, unit = '{count}'): Counter =>
      meter.createCounter(name, {
        description,
        unit,
        valueType: unit === 's' ? ValueType.DOUBLE : ValueType.INT,
      });
    const seconds = (name: string, description: string): Histogram =>
      meter.createHistogram(name, { description, unit: 's', valueType: ValueType.DOUBLE });
    this.received = counter(MetricName.eventsReceived, 'Events accepted for a route (first attempts)');
    this.rejected = counter(MetricName.eventsRejected, 'Events dead-lettered by the trigger, by reason');
    this.started = counter(MetricName.jobsStarted, 'Container groups created');
    this.settled = counter(MetricName.jobsSettled, 'Attempts settled, by outcome and reason');
    this.cancelled = counter(MetricName.jobsCancelled, 'Attempts cancelled by an operator');
    this.sweeps = counter(MetricName.sweeperActions, 'What the orphan sweeper did, by action');
    this.vcpuSeconds = counter(MetricName.vcpuSeconds, 'ACI vCPU-seconds (cpu x group lifetime)', 's');
    this.gbSeconds = counter(MetricName.memoryGbSeconds, 'ACI GB-seconds (memory x group lifetime)', 's');
    this.duration = seconds(MetricName.jobDuration, 'Attempt duration, start to settlement');
    this.detection = seconds(MetricName.detectionDelay, 'From a job finishing to the poll that saw it');
    this.capacity = seconds(MetricName.capacityWait, 'Time waiting for a capacity slot before create');
  }

  eventReceived(route: string): void {
    this.received.add(1, at(route));
  }

  eventRejected(reason: string): void {
    this.rejected.add(1, { [MetricAttribute.reason]: reason });
  }

  jobStarted(route: string): void {
    this.started.add(1, at(route));
  }

  jobSettled(job: SettledJob): void {
    this.settled.add(1, {
      ...at(job.route),
      [MetricAttribute.outcome]: job.outcome,
      ...(job.reason !== undefined ? { [MetricAttribute.reason]: job.reason } : {}),
    });
    this.duration.record(toSeconds(job.durationMs), {
      ...at(job.route),
      [MetricAttribute.outcome]: job.outcome,
    });
    const lifetime = toSeconds(job.groupLifetimeMs);
    if (lifetime > 0) {
      this.vcpuSeconds.add(job.cpu * lifetime, at(job.route));
      this.gbSeconds.add(job.memoryInGB * lifetime, at(job.route));
    }
  }

  jobCancelled(route: string): void {
    this.cancelled.add(1, at(route));
  }

  detectionDelay(route: string, delayMs: number): void {
    this.detection.record(toSeconds(delayMs), at(route));
  }

  capacityWaited(route: string, waitMs: number): void {
    this.capacity.record(toSeconds(waitMs), at(route));
  }

  sweeperAction(route: string, action: SweepAction): void {
    this.sweeps.add(1, { ...at(route), [MetricAttribute.action]: action });
  }
}

function at(route: string): Attributes {
  return { [MetricAttribute.route]: route };
}

/** Clock skew between ACI and the app can make a difference negative: never report negative time. */
function toSeconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}
