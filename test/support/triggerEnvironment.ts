import { join } from 'node:path';

/** Settings for loading functions/dispatchEvent.ts in a test (module-level loadSettings reads process.env). */
export function triggerSettings(overrides: Record<string, string>): Record<string, string> {
  return {
    DURABLE_TASK_HUB: 'dispatchtest',
    DISPATCH_QUEUE_NAME: 'dispatch',
    DISPATCH_ROUTES_FILE: join(__dirname, '..', 'fixtures', 'routes', 'trigger-routes.json'),
    DISPATCH_MAX_EVENT_BYTES: '2048',
    DISPATCH_POLLS_PER_EXECUTION: '20',
    DISPATCH_DEFAULT_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
    DISPATCH_DEFAULT_RESOURCE_GROUP: 'rg-jobs',
    DISPATCH_DEFAULT_LOCATION: 'westeurope',
    ...overrides,
  };
}

/** Sets variables for the duration of a test file; returns the restore function. */
export function setProcessEnv(values: Record<string, string>): () => void {
  const saved = new Map(Object.keys(values).map((key) => [key, process.env[key]] as const));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
