import { join } from 'node:path';
import { loadSettings, type Settings } from '../../shared/config/loadSettings';
import { TEST_SIGNING_KEY } from './testSigner';

/** App settings for tests (the trigger fixture's routes), validated by the real loader as the entry does. */
export function triggerSettings(overrides: Record<string, string> = {}): Settings {
  return loadSettings({
    DURABLE_TASK_HUB: 'dispatchtest',
    ServiceBusConnection:
      'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;',
    DISPATCH_QUEUE_NAME: 'dispatch',
    DISPATCH_ROUTES_FILE: join(__dirname, '..', 'fixtures', 'routes', 'trigger-routes.json'),
    DISPATCH_MAX_EVENT_BYTES: '2048',
    DISPATCH_POLLS_PER_EXECUTION: '20',
    DISPATCH_DEFAULT_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
    DISPATCH_DEFAULT_RESOURCE_GROUP: 'rg-jobs',
    DISPATCH_DEFAULT_LOCATION: 'westeurope',
    DISPATCH_SIGNING_KEY: TEST_SIGNING_KEY,
    ...overrides,
  });
}
