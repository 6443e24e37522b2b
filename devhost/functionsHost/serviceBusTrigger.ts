import {
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
} from '@azure/service-bus';
import type { HostLogSink } from './hostLog';
import {
  modelBindingDataFor,
  triggerInputFor,
  triggerMetadataFor,
  type ServiceBusModelBindingData,
} from './serviceBusMessageData';
import type { HeldMessages } from './settlementServer';

type PropertyMap = Record<string, string | number | boolean | Date | null>;

/** Wraps what the function itself threw, so the host can tell it from a failure to build the input. */
export class InvocationFailedError extends Error {
  constructor(readonly inner: unknown) {
    super(inner instanceof Error ? inner.message : String(inner));
    this.name = 'InvocationFailedError';
  }
}

export type ServiceBusEntity = { queueName: string } | { topicName: string; subscriptionName: string };

export interface ServiceBusTriggerOptions {
  functionName: string;
  client: ServiceBusClient;
  entity: ServiceBusEntity;
  maxConcurrentCalls: number;
  maxAutoLockRenewalDurationMs: number;
  autoCompleteMessages: boolean;
  /** `sdkBinding: true`: the function receives model binding data and settles through the gRPC service. */
  sdkBinding: boolean;
  /** The binding's `dataType` ("binary": the function receives the body's bytes). */
  dataType?: unknown;
  held: HeldMessages;
  /** Runs the function; resolves when it succeeded, rejects (with InvocationFailedError) when it threw. */
  invoke(input: unknown, triggerMetadata: Record<string, unknown>): Promise<unknown>;
  /** Turns model binding data into the trigger argument (the worker's ResourceFactoryResolver). */
  createSdkInput(data: ServiceBusModelBindingData): unknown;
  log: HostLogSink;
}

export interface ServiceBusTriggerListener {
  readonly entityPath: string;
  /** Stops receiving, waits (bounded) for running invocations so their settlements land, closes the link. */
  close(): Promise<void>;
}

function entityPath(entity: ServiceBusEntity): string {
  return 'queueName' in entity
    ? entity.queueName
    : `${entity.topicName}/Subscriptions/${entity.subscriptionName}`;
}

/**
 * The Service Bus trigger with the Functions host's semantics: peek-lock, up to maxConcurrentCalls
 * invocations at a time, the lock renewed while the function runs (up to maxAutoLockRenewalDuration), the
 * message completed when the function succeeds and autoCompleteMessages is on, abandoned when it throws
 * (with autoCompleteMessages off the host leaves a failed message to its lock expiry, as the real one does).
 * A message the function settled itself (SDK binding) is not settled again.
 */
export function startServiceBusTrigger(options: ServiceBusTriggerOptions): ServiceBusTriggerListener {
  const { entity, log, functionName } = options;
  const receiverOptions = {
    receiveMode: 'peekLock' as const,
    maxAutoLockRenewalDurationInMs: options.maxAutoLockRenewalDurationMs,
    // The host hands the worker bytes; JSON parsing happens once, the worker's way.
    skipParsingBodyAsJson: true,
  };
  const receiver: ServiceBusReceiver =
    'queueName' in entity
      ? options.client.createReceiver(entity.queueName, receiverOptions)
      : options.client.createReceiver(entity.topicName, entity.subscriptionName, receiverOptions);
  const running = new Set<Promise<void>>();
  let closing = false;

  const handle = async (message: ServiceBusReceivedMessage): Promise<void> => {
    let settled = false;
    const settleOnce = async (what: string, run: () => Promise<void>): Promise<void> => {
      if (settled) throw new Error(`the message was already settled; cannot ${what} it`);
      await run();
      settled = true;
    };
    const lockToken = message.lockToken;
    if (options.sdkBinding && lockToken) {
      options.held.hold(lockToken, {
        complete: () => settleOnce('complete', () => receiver.completeMessage(message)),
        abandon: (props) =>
          settleOnce('abandon', () => receiver.abandonMessage(message, props as PropertyMap | undefined)),
        deadLetter: (reason, description, props) =>
          settleOnce('dead-letter', () =>
            receiver.deadLetterMessage(message, {
              ...((props ?? {}) as PropertyMap),
              ...(reason === undefined ? {} : { deadLetterReason: reason }),
              ...(description === undefined ? {} : { deadLetterErrorDescription: description }),
            } as unknown as Parameters<ServiceBusReceiver['deadLetterMessage']>[1]),
          ),
        defer: (props) =>
          settleOnce('defer', () => receiver.deferMessage(message, props as PropertyMap | undefined)),
        renewLock: async () => {
          await receiver.renewMessageLock(message);
        },
      });
    }
    let failure: unknown;
    try {
      // Building the input is part of the invocation: a failure there fails the invocation, as in the worker.
      const metadata = triggerMetadataFor(message);
      const input = options.sdkBinding
        ? options.createSdkInput(modelBindingDataFor(message))
        : triggerInputFor(message, options.dataType);
      await options.invoke(input, metadata);
    } catch (err) {
      failure = err;
      if (!(err instanceof InvocationFailedError)) {
        log({
          level: 'error',
          functionName,
          message: `invocation failed outside the function: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    try {
      if (settled) return;
      if (failure === undefined) {
        if (options.autoCompleteMessages)
          await settleOnce('complete', () => receiver.completeMessage(message));
      } else if (options.autoCompleteMessages) {
        await settleOnce('abandon', () => receiver.abandonMessage(message));
      }
    } catch (err) {
      log({
        level: 'error',
        functionName,
        message: `settling message ${String(message.messageId)} failed: ${err instanceof Error ? err.message : String(err)}`,
      });
    } finally {
      if (lockToken) options.held.release(lockToken);
    }
  };

  const subscription = receiver.subscribe(
    {
      processMessage: (message) => {
        if (closing) return receiver.abandonMessage(message).catch(() => undefined);
        const run = handle(message);
        running.add(run);
        return run.finally(() => running.delete(run));
      },
      processError: (args) => {
        if (!closing) {
          log({
            level: 'warning',
            functionName,
            message: `Service Bus receiver (${args.errorSource}): ${args.error.message}`,
          });
        }
        return Promise.resolve();
      },
    },
    { autoCompleteMessages: false, maxConcurrentCalls: options.maxConcurrentCalls },
  );

  return {
    entityPath: entityPath(entity),
    close: async () => {
      closing = true;
      await subscription.close();
      const drained = Promise.all([...running]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      if (timer) clearTimeout(timer);
      await receiver.close();
    },
  };
}
