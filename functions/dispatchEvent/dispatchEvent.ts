import * as df from 'durable-functions';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import type { EventQueue } from '../../adapters/serviceBus/eventQueue';
import type { Settings } from '../../shared/config/loadSettings';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import { DispatchSigner } from '../../shared/signing/dispatchSigner';
import { createDispatchEventHandler } from './dispatchEventHandler';

/** The Service Bus trigger: one orchestration per (event, route); poison and unroutable events dead-lettered. */
export const DISPATCH_EVENT_FUNCTION = 'dispatchEvent';

export interface DispatchEventDeps {
  settings: Pick<
    Settings,
    'queueName' | 'settlementMode' | 'maxEventBytes' | 'pollsPerExecution' | 'signingKeys'
  >;
  routes: readonly ResolvedRoute[];
  eventQueue: EventQueue;
  /** Always given by the app; see AppPorts. */
  ledger?: EventLedger;
}

export function registerDispatchEvent({ settings, routes, eventQueue, ledger }: DispatchEventDeps): void {
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
      signer: new DispatchSigner(settings.signingKeys),
      eventQueue,
      ...(ledger ? { ledger } : {}),
    }),
  });
}
