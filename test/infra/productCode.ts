// The product modules the infra checks exercise, imported in one place so that moving them
// (e.g. into a feature layout) is a one-file change here.
export { AciJobProvider } from '../../shared/providers/aciJobProvider';
export { EmulatorCredential } from '../../shared/azure/emulatorCredential';
export type { JobSpec, JobTarget } from '../../shared/jobs/jobProvider';
export { loadSettings } from '../../shared/config/loadSettings';
