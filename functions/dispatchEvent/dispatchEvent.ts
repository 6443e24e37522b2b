import { trigger } from '@azure/functions';
import * as df from 'durable-functions';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import type { EventQueue } from '../../adapters/serviceBus/eventQueue';
import type { Settings } from '../../shared/config/loadSettings';
import type { DispatchMetrics } from '../../shared/metrics/dispatchMetrics';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import { DispatchSigner } from '../../shared/signing/dispatchSigner';
import { createDispatchEventHandler } from './dispatchEventHandler';

/** The Service Bus trigger: one orchestration per (event, route); poison and unroutable events dead-lettered. */
export const DISPATCH_EVENT_FUNCTION = 'dispatchEvent';

/**
 * Classic mode asks the host for the body's bytes (`dataType: "binary"`, the binding property of function.json):
 * the default hands the worker a string the host decoded with U+FFFD for invalid UTF-8, JSON-parsed by the
 * worker (duplicate keys silently merged), so the strict byte parser could not see what it must reject. The v4
 * model has no typed option for it (azure-functions-nodejs-library#72, whose maintainers point to a generic
 * trigger object); the worker passes every trigger property to the host as the binding's JSON
 * (`rawBindings`), as function.json did in v3, where `dataType: "binary"` on a serviceBusTrigger delivers a
 * Buffer (azure-functions-nodejs-worker#684).
 */
export const CLASSIC_TRIGGER_DATA_TYPE = 'binary';

export interface DispatchEventDeps {
  settings: Pick<
    Settings,
    'queueName' | 'settlementMode' | 'maxEventBytes' | 'pollsPerExecution' | 'signingKeys' | 'admission'
  >;
  routes: readonly ResolvedRoute[];
  eventQueue: EventQueue;
  /** Always given by the app; see AppPorts. */
  ledger?: EventLedger;
  metrics?: DispatchMetrics;
}

export function registerDispatchEvent({
  settings,
  routes,
  eventQueue,
  ledger,
  metrics,
}: DispatchEventDeps): void {
  if (settings.settlementMode === 'sdk') {
    // Registers the extension's message factory (the trigger then receives { messages, actions }). Loaded only in
    // sdk mode, and with require() because the preview package's typings pull in its TypeScript sources.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@azure/functions-extensions-servicebus');
  }
  const binding = { connection: 'ServiceBusConnection', queueName: settings.queueName };
  df.app.client.serviceBusQueue(DISPATCH_EVENT_FUNCTION, {
    ...binding,
    ...(settings.settlementMode === 'sdk'
      ? { sdkBinding: true, autoCompleteMessages: false }
      : { trigger: { ...trigger.serviceBusQueue(binding), dataType: CLASSIC_TRIGGER_DATA_TYPE } }),
    handler: createDispatchEventHandler({
      settlementMode: settings.settlementMode,
      routes,
      maxEventBytes: settings.maxEventBytes,
      pollsPerExecution: settings.pollsPerExecution,
      signer: new DispatchSigner(settings.signingKeys),
      admission: settings.admission.enabled,
      eventQueue,
      ...(ledger ? { ledger } : {}),
      ...(metrics ? { metrics } : {}),
    }),
  });
}
