import type { TokenCredential } from '@azure/core-auth';
import {
  AzureMonitorMetricExporter,
  type AzureMonitorExporterOptions,
} from '@azure/monitor-opentelemetry-exporter';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { noMetrics, type DispatchMetrics } from '../../shared/metrics/dispatchMetrics';
import { OtelDispatchMetrics } from './otelDispatchMetrics';

export interface MetricsExport {
  metrics: DispatchMetrics;
  /** Flushes what is buffered and stops exporting (the host's app-terminate hook). */
  close(): Promise<void>;
}

/** Once a minute, as App Insights pre-aggregates custom metrics per minute anyway. */
export const METRICS_EXPORT_INTERVAL_MS = 60_000;

/**
 * Metrics to App Insights through OpenTelemetry and the Azure Monitor exporter, authenticated with Entra ID
 * (`credential`: the app's managed identity, which holds Monitoring Metrics Publisher; the resource has local
 * auth disabled, so the connection string only locates it). Without a connection string nothing is exported.
 *
 * Only the exporter and the metrics SDK, not the `@azure/monitor-opentelemetry` distro: the Functions host
 * already reports requests, dependencies and logs to App Insights, and the distro would instrument them a
 * second time (and must load before everything else); the dispatcher only adds its own metrics.
 */
export function createMetricsExport(options: {
  connectionString?: string;
  credential: TokenCredential;
  serviceName?: string;
  /** Extra exporter options (tests: the TLS trust of a local ingestion endpoint). */
  exporterOptions?: AzureMonitorExporterOptions;
}): MetricsExport {
  if (options.connectionString === undefined) return { metrics: noMetrics, close: () => Promise.resolve() };
  const exporter = new AzureMonitorMetricExporter({
    ...options.exporterOptions,
    connectionString: options.connectionString,
    credential: options.credential,
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'dispatcher' }),
    readers: [
      new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: METRICS_EXPORT_INTERVAL_MS }),
    ],
  });
  return {
    metrics: new OtelDispatchMetrics(provider.getMeter('dispatcher')),
    close: () => provider.shutdown(),
  };
}
