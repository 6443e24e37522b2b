import type {
  ServiceBusClient,
  ServiceBusClientOptions,
  ServiceBusMessage,
  ServiceBusSender,
} from '@azure/service-bus';
import {
  MAX_DEAD_LETTER_DESCRIPTION_LENGTH,
  MAX_DEAD_LETTER_REASON_LENGTH,
} from '../../shared/naming/serviceBusLimits';
import { POISON_IDENTITY, type DispatchSigner } from '../../shared/signing/dispatchSigner';
import { silentLogger, type AdapterLogger } from '../adapterLogger';
import { classifyServiceBusError } from './classifyServiceBusError';
import { resolveServiceBusClient, type ServiceBusConnection } from './createServiceBusClient';
import type { DeadLetterCopyRequest, EventQueue, RequeueRequest } from './eventQueue';

export const cloudEventsContentType = 'application/cloudevents+json';

/** Bounds for what we copy into application properties (all of them travel in the message header). */
export const maxLastErrorLength = 1024;

/** Either an existing client (shared, not closed by us) or how to make one (owned, closed by close()). */
export type ServiceBusEventQueueOptions = {
  queueName: string;
  /** Signs the dispatch-* properties of every copy and makes their keyed MessageIds. */
  signer: DispatchSigner;
  logger?: AdapterLogger;
} & (
  { client: ServiceBusClient } | { connection: ServiceBusConnection; clientOptions?: ServiceBusClientOptions }
);

/**
 * The dispatcher's own sends to its queue: scheduled requeue copies and marked dead-letter copies.
 * Bodies are resent byte for byte as a single AMQP data section (the JS SDK would JSON-encode a string
 * body, turning the CloudEvent into a JSON string literal for any non-JS consumer such as the Functions
 * host). One sender, created on first use and reused. Every copy's steering properties are signed and its
 * MessageId is keyed (shared/signing): a sender without the app's key can neither forge a copy nor occupy
 * the id of one.
 */
export class ServiceBusEventQueue implements EventQueue {
  private readonly client: ServiceBusClient;
  private readonly ownsClient: boolean;
  private readonly queueName: string;
  private readonly logger: AdapterLogger;
  private readonly signer: DispatchSigner;
  private sender: ServiceBusSender | undefined;

  constructor(options: ServiceBusEventQueueOptions) {
    if (!options.queueName) throw new TypeError('ServiceBusEventQueue: queueName is required');
    this.queueName = options.queueName;
    this.logger = options.logger ?? silentLogger;
    this.signer = options.signer;
    ({ client: this.client, ownsClient: this.ownsClient } = resolveServiceBusClient(options));
  }

  async requeue(request: RequeueRequest): Promise<void> {
    if (!Number.isInteger(request.attempt) || request.attempt < 2) {
      throw new TypeError(
        `requeue of event ${describe(request.identity)} for route ${request.route}: attempt must be an integer >= 2, got ${request.attempt}`,
      );
    }
    if (Number.isNaN(request.scheduledEnqueueTime.getTime())) {
      throw new TypeError(
        `requeue of event ${describe(request.identity)} for route ${request.route}: scheduledEnqueueTime is not a valid date`,
      );
    }
    const resubmission = request.resubmission ?? 0;
    const messageId = this.signer.messageId('requeue', request.identity, [
      request.route,
      request.attempt,
      resubmission,
    ]);
    const message: ServiceBusMessage = {
      body: Buffer.from(request.body, 'utf8'),
      contentType: cloudEventsContentType,
      messageId,
      applicationProperties: this.signer.properties(
        request.identity,
        { route: request.route, attempt: request.attempt, resubmission },
        { lastError: truncate(request.lastError, maxLastErrorLength) },
      ),
    };
    const operation = `requeue ${messageId} to ${this.queueName} at ${request.scheduledEnqueueTime.toISOString()}`;
    try {
      await this.getSender().scheduleMessages(message, request.scheduledEnqueueTime);
    } catch (err) {
      throw classifyServiceBusError(err, operation);
    }
    this.logger.info(operation);
  }

  async sendDeadLetterCopy(request: DeadLetterCopyRequest): Promise<void> {
    const body =
      typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : Buffer.from(request.body);
    const resubmission = request.resubmission ?? 0;
    const identity = request.identity ?? POISON_IDENTITY;
    // The trigger's copies are named after the message they reject (a redelivery makes the same copy, another
    // message another copy); the orchestration's after the attempt that settled.
    const messageId = !request.identity
      ? this.signer.poisonMessageId(request.originalMessageId, body)
      : request.originalMessageId !== undefined
        ? this.signer.messageId('dead-letter', identity, ['message', request.originalMessageId])
        : this.signer.messageId('dead-letter', identity, [
            request.route ?? '',
            request.attempt ?? 0,
            resubmission,
          ]);
    const marks = {
      ...(request.route !== undefined ? { route: request.route } : {}),
      ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
      resubmission,
      deadLetterReason: truncate(request.reason, MAX_DEAD_LETTER_REASON_LENGTH),
    };
    const message: ServiceBusMessage = {
      body,
      // A poison body is not known to be a CloudEvent: keep what the sender said it was.
      contentType: request.identity !== undefined ? cloudEventsContentType : request.contentType,
      messageId,
      applicationProperties: {
        // The sender's own properties first, so that none can shadow the dispatcher's.
        ...request.originalProperties,
        ...this.signer.properties(identity, marks, {
          deadLetterDescription: truncate(request.description, MAX_DEAD_LETTER_DESCRIPTION_LENGTH),
        }),
      },
    };
    const operation = `dead-letter copy ${messageId} to ${this.queueName} (${request.reason})`;
    try {
      await this.getSender().sendMessages(message);
    } catch (err) {
      throw classifyServiceBusError(err, operation);
    }
    this.logger.info(operation);
  }

  async close(): Promise<void> {
    const sender = this.sender;
    this.sender = undefined;
    await sender?.close();
    if (this.ownsClient) await this.client.close();
  }

  private getSender(): ServiceBusSender {
    this.sender ??= this.client.createSender(this.queueName);
    return this.sender;
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function describe(identity: { source: string; id: string }): string {
  return `${JSON.stringify(identity.id)} from ${JSON.stringify(identity.source)}`;
}
