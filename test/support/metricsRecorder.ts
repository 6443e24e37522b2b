import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { OtelDispatchMetrics } from '../../adapters/telemetry/otelDispatchMetrics';

/** A pull reader: the test collects when it wants to look, as the periodic exporter would. */
class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface MetricsRecorder {
  /** The production adapter over an OpenTelemetry SDK meter with an in-memory reader. */
  metrics: OtelDispatchMetrics;
  /** The sum of a counter (or the count of a histogram) over the data points whose attributes include `where`. */
  total(name: string, where?: Record<string, string>): Promise<number>;
  /** The summed values of a histogram, same matching. */
  histogramSum(name: string, where?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export function recordMetrics(): MetricsRecorder {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  const points = async (name: string, where: Record<string, string>): Promise<DataPoint<unknown>[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[])
      .filter((point) => Object.entries(where).every(([k, v]) => point.attributes[k] === v));
  };
  return {
    metrics: new OtelDispatchMetrics(provider.getMeter('test')),
    async total(name, where = {}) {
      return (await points(name, where)).reduce(
        (sum, point) =>
          sum + (typeof point.value === 'number' ? point.value : (point.value as Histogram).count),
        0,
      );
    },
    async histogramSum(name, where = {}) {
      return (await points(name, where)).reduce(
        (sum, point) => sum + ((point.value as Histogram).sum ?? 0),
        0,
      );
    },
    close: () => provider.shutdown(),
  };
}
