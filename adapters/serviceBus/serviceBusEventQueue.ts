import type {
  ServiceBusClient,
  ServiceBusClientOptions,
  ServiceBusMessage,
  ServiceBusSender,
} from '@azure/service-bus';
import { resendMessageId } from '../../shared/naming/dispatchNames';
import {
  MAX_DEAD_LETTER_DESCRIPTION_LENGTH,
  MAX_DEAD_LETTER_REASON_LENGTH,
  MAX_MESSAGE_ID_LENGTH,
} from '../../shared/naming/serviceBusLimits';
import { silentLogger, type AdapterLogger } from '../adapterLogger';
import { classifyServiceBusError } from './classifyServiceBusError';
import { resolveServiceBusClient, type ServiceBusConnection } from './createServiceBusClient';
import {
  DispatchProperty,
  type DeadLetterCopyRequest,
  type EventQueue,
  type RequeueRequest,
} from './eventQueue';

export const cloudEventsContentType = 'application/cloudevents+json';

/** Bounds for what we copy into application properties (all of them travel in the message header). */
export const maxLastErrorLength = 1024;

/** Either an existing client (shared, not closed by us) or how to make one (owned, closed by close()). */
export type ServiceBusEventQueueOptions = {
  queueName: string;
  logger?: AdapterLogger;
} & (
  { client: ServiceBusClient } | { connection: ServiceBusConnection; clientOptions?: ServiceBusClientOptions }
);

/**
 * The dispatcher's own sends to its queue: scheduled requeue copies and marked dead-letter copies.
 * Bodies are resent byte for byte as a single AMQP data section (the JS SDK would JSON-encode a string
 * body, turning the CloudEvent into a JSON string literal for any non-JS consumer such as the Functions
 * host). One sender, created on first use and reused.
 */
export class ServiceBusEventQueue implements EventQueue {
  private readonly client: ServiceBusClient;
  private readonly ownsClient: boolean;
  private readonly queueName: string;
  private readonly logger: AdapterLogger;
  private sender: ServiceBusSender | undefined;

  constructor(options: ServiceBusEventQueueOptions) {
    if (!options.queueName) throw new TypeError('ServiceBusEventQueue: queueName is required');
    this.queueName = options.queueName;
    this.logger = options.logger ?? silentLogger;
    ({ client: this.client, ownsClient: this.ownsClient } = resolveServiceBusClient(options));
  }

  async requeue(request: RequeueRequest): Promise<void> {
    if (!Number.isInteger(request.attempt) || request.attempt < 2) {
      throw new TypeError(
        `requeue of event ${request.eventId} for route ${request.route}: attempt must be an integer >= 2, got ${request.attempt}`,
      );
    }
    if (Number.isNaN(request.scheduledEnqueueTime.getTime())) {
      throw new TypeError(
        `requeue of event ${request.eventId} for route ${request.route}: scheduledEnqueueTime is not a valid date`,
      );
    }
    const messageId = resendMessageId(request.eventId, request.route, request.attempt);
    const message: ServiceBusMessage = {
      body: Buffer.from(request.body, 'utf8'),
      contentType: cloudEventsContentType,
      messageId,
      applicationProperties: {
        [DispatchProperty.route]: request.route,
        [DispatchProperty.attempt]: request.attempt,
        [DispatchProperty.lastError]: truncate(request.lastError, maxLastErrorLength),
      },
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
    if (!request.messageId)
      throw new TypeError('dead-letter copy: messageId is required (deterministic, for duplicate detection)');
    const applicationProperties: Record<string, string | number> = {
      [DispatchProperty.deadLetterReason]: truncate(request.reason, MAX_DEAD_LETTER_REASON_LENGTH),
      [DispatchProperty.deadLetterDescription]: truncate(
        request.description,
        MAX_DEAD_LETTER_DESCRIPTION_LENGTH,
      ),
    };
    if (request.route !== undefined) applicationProperties[DispatchProperty.route] = request.route;
    if (request.attempt !== undefined) applicationProperties[DispatchProperty.attempt] = request.attempt;
    const message: ServiceBusMessage = {
      body: Buffer.from(request.body, 'utf8'),
      // A poison body is not known to be a CloudEvent: do not label it as one.
      contentType: request.eventId !== undefined ? cloudEventsContentType : undefined,
      messageId: truncate(request.messageId, MAX_MESSAGE_ID_LENGTH),
      applicationProperties,
    };
    const operation = `dead-letter copy ${message.messageId as string} to ${this.queueName} (${request.reason})`;
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
