// The product modules the infra checks exercise, imported in one place so that moving them
// (e.g. into a feature layout) is a one-file change here.
export { AciJobProvider } from '../../adapters/aci/aciJobProvider';
export { EmulatorCredential } from '../../adapters/azure/emulatorCredential';
export type { JobSpec, JobTarget } from '../../adapters/aci/jobProvider';
export { loadSettings } from '../../shared/config/loadSettings';
export { MetricName } from '../../shared/metrics/dispatchMetrics';
export { noMetrics } from '../../shared/metrics/dispatchMetrics';
export { sweepOrphans } from '../../functions/sweepOrphans/orphanSweeper';
