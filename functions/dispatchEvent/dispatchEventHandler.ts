import { descriptionSummary } from '../../orchestrations/dispatchJob/decideSettlement';
import type { InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import type { SettlementMode } from '../../shared/config/loadSettings';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import type { EventQueue } from '../../adapters/serviceBus/eventQueue';
import { originalMessageOf } from '../../adapters/serviceBus/originalMessage';
import { isNotFound } from '../../shared/errors/isNotFound';
import { noMetrics, type DispatchMetrics } from '../../shared/metrics/dispatchMetrics';
import { MAX_DEAD_LETTER_DESCRIPTION_LENGTH } from '../../shared/naming/serviceBusLimits';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import { eventMessageFromServiceBus } from '../../shared/events/eventMessageFromServiceBus';
import type { DispatchSigner } from '../../shared/signing/dispatchSigner';
import { DISPATCH_JOB_ORCHESTRATOR } from '../../orchestrations/dispatchJob/dispatchJobInput';
import { recordDispatchResult } from './recordDispatchResult';
import { sendDeadLetterCopy } from './sendDeadLetterCopy';
import { isMessageFault, unhandledFailure } from './unhandledFailure';
import {
  dispatchMessage,
  type DispatchResult,
  type InboundMessage,
  type InstanceStarter,
} from './dispatchMessage';

/** Settlement actions of @azure/functions-extensions-servicebus (its ServiceBusMessageActions). */
export interface MessageActions {
  complete(message: SdkMessage): Promise<void>;
  abandon(message: SdkMessage, propertiesToModify?: Uint8Array): Promise<void>;
  deadletter(
    message: SdkMessage,
    propertiesToModify?: Uint8Array,
    deadletterReason?: string,
    deadletterErrorDescription?: string,
  ): Promise<void>;
}

/** The parts of a ServiceBusReceivedMessage the dispatcher reads. */
export interface SdkMessage {
  body: unknown;
  applicationProperties?: Record<string, unknown>;
  /** rhea's decoded message: the raw data section (eventMessageFromServiceBus). */
  _rawAmqpMessage?: { body?: unknown };
  messageId?: unknown;
  correlationId?: unknown;
  subject?: string;
  contentType?: string;
  deliveryCount?: number;
  lockToken?: string;
}

/** What the trigger receives with `sdkBinding: true` (the extension's ServiceBusMessageContext). */
export interface SdkMessageContext {
  messages: SdkMessage | SdkMessage[];
  actions: MessageActions;
}

export interface DispatchEventHandlerOptions {
  settlementMode: SettlementMode;
  routes: readonly ResolvedRoute[];
  maxEventBytes: number;
  pollsPerExecution: number;
  signer: DispatchSigner;
  /** DISPATCH_ADMISSION: orchestrations wait for a capacity slot before creating their job. */
  admission?: boolean;
  /** Only dead-lettering in classic mode sends on it (the client connects on first send). */
  eventQueue: EventQueue;
  /** Every delivery's outcome is recorded there before the message is settled (a failure redelivers it). */
  ledger?: EventLedger;
  metrics?: DispatchMetrics;
}

export type DispatchEventHandler = (
  trigger: unknown,
  client: DurableClient,
  context: InvocationContext,
) => Promise<void>;

/** The description's first part on one line (the log tail stays in the message's properties and the status API). */
function oneLine(description: string): string {
  return descriptionSummary(description, ' ');
}

/** Thrown in classic mode so the host abandons a marked copy until MaxDeliveryCount dead-letters it. */
export class MarkedForDeadLetterError extends Error {
  /**
   * An expected failure, not a bug: the offline Functions host logs such a failed execution at debug level (the
   * trigger's one warning already said why). Azure's host still counts it as a failed execution (the classic
   * mode's trade-off, see docs/dispatcher.md).
   */
  readonly expected = true;

  constructor(
    readonly reason: string,
    readonly description: string,
  ) {
    super(
      `message is marked for the dead-letter queue (${reason}); rejecting it until Service Bus dead-letters it: ${oneLine(description)}`,
    );
    this.name = 'MarkedForDeadLetterError';
    // An expected outcome, not a bug: the host logs each rejected delivery as this one line, without frames.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * The Service Bus trigger's handler. `classic`: returns normally to let the host complete the message;
 * dead-letters by sending a marked copy; throws for a marked copy. `sdk`: settles through the extension's
 * actions (complete / deadletter with DeadLetterReason and DeadLetterErrorDescription) and abandons on failure.
 */
export function createDispatchEventHandler(options: DispatchEventHandlerOptions): DispatchEventHandler {
  return async (trigger, client, context) => {
    const starter = durableClientStarter(client);
    const log = (message: string): void => context.log(message);
    const dispatchOptions = { ...options, starter, log };

    const receivedAt = new Date();
    const record = async (inbound: InboundMessage, result: DispatchResult): Promise<void> => {
      if (!options.ledger) return;
      try {
        await recordDispatchResult(options.ledger, inbound, result, receivedAt);
      } catch (err) {
        // The message's fate is sealed (started, or its copy sent): a record that can never be written must not
        // loop it. Anything else is retried by the host, and a redelivery records it again.
        if (!isMessageFault(err)) throw err;
        context.error(
          `could not record this delivery in the event ledger: ${oneLine(String(err)).slice(0, 500)}`,
        );
      }
    };
    // Every failure of the trigger's own making ends here, dead-lettered with a reason (unhandledFailure).
    const decide = async (
      read: () => InboundMessage,
      body: unknown,
    ): Promise<{ inbound: InboundMessage; result: DispatchResult }> => {
      // What is left of the message when even reading its envelope failed.
      let inbound: InboundMessage = { body, applicationProperties: {} };
      try {
        inbound = read();
        return { inbound, result: await dispatchMessage(inbound, dispatchOptions) };
      } catch (err) {
        return { inbound, result: unhandledFailure(inbound, err) };
      }
    };

    if (options.settlementMode === 'sdk') {
      const { message, actions } = sdkMessage(trigger);
      try {
        const { inbound, result } = await decide(() => sdkInbound(message), message.body);
        await record(inbound, result);
        if (result.kind === 'dispatched') await actions.complete(message);
        else await actions.deadletter(message, undefined, ...stringValues(result.reason, result.description));
        logResult(context, result);
        countResult(options.metrics ?? noMetrics, result);
      } catch (err) {
        // Without auto-complete the host would wait for the lock to expire; hand the message back now.
        await actions.abandon(message).catch(() => undefined);
        throw err;
      }
      return;
    }

    const { inbound, result } = await decide(() => classicMessage(trigger, context), trigger);
    logResult(context, result);
    if (result.kind === 'marked') throw new MarkedForDeadLetterError(result.reason, result.description);
    if (result.kind === 'dead-letter') await sendDeadLetterCopy(options.eventQueue, result.copy);
    await record(inbound, result);
    countResult(options.metrics ?? noMetrics, result);
  };
}

/** The raw bytes of the data section (the extension's body is already decoded lossily). */
function sdkInbound(message: SdkMessage): InboundMessage {
  const { body, contentType } = eventMessageFromServiceBus(message);
  return {
    body,
    ...(contentType !== undefined ? { contentType } : {}),
    applicationProperties: message.applicationProperties ?? {},
    messageId: message.messageId,
    ...(message.deliveryCount !== undefined ? { deliveryCount: message.deliveryCount } : {}),
    original: originalMessageOf({ ...message }, message.applicationProperties ?? {}),
  };
}

/**
 * Counted once the message's fate is sealed. An event is received by a route when its first attempt starts
 * (a duplicate delivery or a requeued copy is not a new event); a marked copy was counted when it was rejected.
 */
function countResult(metrics: DispatchMetrics, result: DispatchResult): void {
  if (result.kind === 'dead-letter') metrics.eventRejected(result.reason);
  if (result.kind !== 'dispatched') return;
  for (const instance of result.instances) {
    if (instance.started && instance.attempt === 1) metrics.eventReceived(instance.route);
  }
}

/**
 * DeadLetterReason / DeadLetterErrorDescription as the settlement proto needs them. Its fields are
 * google.protobuf.StringValue, but @azure/functions-extensions-servicebus 0.2.0-preview hands plain strings to
 * @grpc/proto-loader, which then fails ("Request message serialization failure: .DeadletterRequest.deadletterReason:
 * object expected"). Wrapping them here makes the call serialise; the typings still say string.
 */
function stringValues(reason: string, description: string): [string, string] {
  const wrap = (value: string): string => ({ value }) as unknown as string;
  return [wrap(reason), wrap(description.slice(0, MAX_DEAD_LETTER_DESCRIPTION_LENGTH))];
}

/** InstanceStarter over the Durable client: getStatus answers 404 (an error) when there is no such instance. */
export function durableClientStarter(
  client: DurableClient,
  orchestrator: string = DISPATCH_JOB_ORCHESTRATOR,
): InstanceStarter {
  return {
    async exists(instanceId) {
      try {
        await client.getStatus(instanceId, {
          showHistory: false,
          showHistoryOutput: false,
          showInput: false,
        });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
    async start(instanceId, input) {
      await client.startNew(orchestrator, { instanceId, input });
    },
  };
}

function classicMessage(trigger: unknown, context: InvocationContext): InboundMessage {
  const meta = context.triggerMetadata ?? {};
  const props = meta.applicationProperties ?? meta.userProperties;
  return {
    body: trigger,
    ...(typeof meta.contentType === 'string' ? { contentType: meta.contentType } : {}),
    applicationProperties:
      typeof props === 'object' && props !== null ? (props as Record<string, unknown>) : {},
    // Any type: the worker JSON-parses a numeric id into a number (messageIdText reads them alike).
    messageId: meta.messageId,
    ...(typeof meta.deliveryCount === 'number' ? { deliveryCount: meta.deliveryCount } : {}),
    original: originalMessageOf(
      meta,
      typeof props === 'object' && props !== null ? (props as Record<string, unknown>) : {},
    ),
  };
}

function sdkMessage(trigger: unknown): { message: SdkMessage; actions: MessageActions } {
  // 0.2.0-preview names the actions `actions`; some samples call them `serviceBusMessageActions`.
  const ctx = trigger as (Partial<SdkMessageContext> & { serviceBusMessageActions?: MessageActions }) | null;
  const message = Array.isArray(ctx?.messages) ? ctx.messages[0] : ctx?.messages;
  const actions = ctx?.actions ?? ctx?.serviceBusMessageActions;
  if (!actions || !message) {
    throw new Error(
      'sdk settlement mode: the trigger input is not a ServiceBusMessageContext ({ messages, actions }); register with sdkBinding: true and import @azure/functions-extensions-servicebus',
    );
  }
  return { message, actions };
}

function logResult(context: InvocationContext, result: DispatchResult): void {
  if (result.kind === 'dispatched') {
    const started = result.instances.filter((i) => i.started).map((i) => i.instanceId);
    const duplicates = result.instances.filter((i) => !i.started).map((i) => i.instanceId);
    context.log(
      `dispatched: started [${started.join(', ')}]${duplicates.length ? `, duplicates [${duplicates.join(', ')}]` : ''}`,
    );
  } else if (result.kind === 'dead-letter') {
    const { identity, originalMessageId } = result.copy;
    const subject = identity
      ? `event ${identity.id} (source ${identity.source})`
      : `message ${originalMessageId ?? '(no id)'}`;
    context.warn(`dead-lettering ${subject} (${result.reason}): ${result.description}`);
  } else {
    // A marked copy: its warning was logged once when it was made; each rejected delivery is the host's one line.
    context.debug(`rejecting a copy marked for the dead-letter queue (${result.reason})`);
  }
}
