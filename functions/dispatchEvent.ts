import * as df from 'durable-functions';
import { resolve } from 'node:path';
import { loadSettings } from '../shared/config/loadSettings';
import { createDispatchEventHandler } from '../shared/dispatch/dispatchEventHandler';
import { loadRoutes } from '../shared/routes/loadRoutes';
import { resolveRoutes } from '../shared/routes/resolvedRoute';
import { getServices } from '../shared/services/getServices';

/** The Service Bus trigger: one orchestration per (event, route); poison and unroutable events dead-lettered. */
export const DISPATCH_EVENT_FUNCTION = 'dispatchEvent';

// Validated at start-up: a bad setting or routes file stops the app with every problem named.
const settings = loadSettings();
const routes = resolveRoutes(loadRoutes(resolve(settings.routesFile)), {
  ...settings.defaultTarget,
  jobIdentityId: settings.jobIdentityId,
});

if (settings.settlementMode === 'sdk') {
  // Registers the extension's message factory (the trigger then receives { messages, actions }). Loaded only in
  // sdk mode, and with require() because the preview package's typings pull in its TypeScript sources.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@azure/functions-extensions-servicebus');
}

df.app.client.serviceBusQueue(DISPATCH_EVENT_FUNCTION, {
  connection: 'ServiceBusConnection',
  queueName: settings.queueName,
  ...(settings.settlementMode === 'sdk' ? { sdkBinding: true, autoCompleteMessages: false } : {}),
  handler: createDispatchEventHandler({
    settlementMode: settings.settlementMode,
    routes,
    maxEventBytes: settings.maxEventBytes,
    pollsPerExecution: settings.pollsPerExecution,
    eventQueue: () => getServices().eventQueue,
    ledger: () => getServices().ledger,
  }),
});
