import type { ServiceBusClient, ServiceBusClientOptions, ServiceBusSender } from '@azure/service-bus';
import { silentLogger, type AdapterLogger } from '../adapterLogger';
import { classifyServiceBusError } from './classifyServiceBusError';
import { resolveServiceBusClient, type ServiceBusConnection } from './createServiceBusClient';
import { DispatchProperty } from './eventQueue';
import { jobSettledEventType, type JobSettledResult, type ResultPublisher } from './resultPublisher';
import { settledMessageId } from '../../shared/naming/dispatchNames';
import { cloudEventsContentType } from './serviceBusEventQueue';

export type ServiceBusResultPublisherOptions = {
  /** DISPATCH_RESULTS_TOPIC (a topic or a queue: the sender does not care). */
  topicName: string;
  /** CloudEvent `source`; default `/dispatcher`. */
  source?: string;
  logger?: AdapterLogger;
} & (
  { client: ServiceBusClient } | { connection: ServiceBusConnection; clientOptions?: ServiceBusClientOptions }
);

/**
 * Publishes `dispatcher.job.settled` CloudEvents (structured JSON) to a Service Bus topic. The CloudEvent id
 * and MessageId are `<eventId>:<route>:<attempt>:settled`, so a replayed settle activity is removed by
 * duplicate detection and consumers can de-duplicate on the id.
 */
export class ServiceBusResultPublisher implements ResultPublisher {
  private readonly client: ServiceBusClient;
  private readonly ownsClient: boolean;
  private readonly topicName: string;
  private readonly source: string;
  private readonly logger: AdapterLogger;
  private sender: ServiceBusSender | undefined;

  constructor(options: ServiceBusResultPublisherOptions) {
    if (!options.topicName) throw new TypeError('ServiceBusResultPublisher: topicName is required');
    this.topicName = options.topicName;
    this.source = options.source ?? '/dispatcher';
    this.logger = options.logger ?? silentLogger;
    ({ client: this.client, ownsClient: this.ownsClient } = resolveServiceBusClient(options));
  }

  async publish(result: JobSettledResult): Promise<void> {
    const identity = { source: result.eventSource, id: result.eventId };
    const id = settledMessageId(identity, result.route, result.attempt, result.resubmission);
    const data: Record<string, unknown> = {
      eventId: result.eventId,
      eventSource: result.eventSource,
      route: result.route,
      attempt: result.attempt,
      outcome: result.outcome,
    };
    if (result.exitCode !== undefined) data['exitCode'] = result.exitCode;
    if (result.reason !== undefined) data['reason'] = result.reason;
    if (result.resubmission !== undefined) data['resubmission'] = result.resubmission;
    if (result.instanceId !== undefined) data['instanceId'] = result.instanceId;
    if (result.nextAttemptAt !== undefined) data['nextAttemptAt'] = result.nextAttemptAt;
    if (result.output !== undefined) data['output'] = result.output;
    if (result.outputError !== undefined) data['outputError'] = result.outputError;
    if (result.logUrl !== undefined) data['logUrl'] = result.logUrl;
    const event = {
      specversion: '1.0',
      id,
      source: this.source,
      type: jobSettledEventType,
      subject: result.route,
      time: result.time ?? new Date().toISOString(),
      datacontenttype: 'application/json',
      data,
    };
    const operation = `publish ${jobSettledEventType} ${id} (${result.outcome}) to ${this.topicName}`;
    try {
      this.sender ??= this.client.createSender(this.topicName);
      await this.sender.sendMessages({
        body: Buffer.from(JSON.stringify(event), 'utf8'),
        contentType: cloudEventsContentType,
        messageId: id,
        subject: jobSettledEventType,
        applicationProperties: { [DispatchProperty.route]: result.route, 'dispatch-outcome': result.outcome },
      });
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
}
