import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import rhea from 'rhea';

/**
 * What a Service Bus trigger hands to the Node worker, built from a received message the way the Functions
 * host does: the body (JSON-parsed when valid JSON, otherwise a string), the trigger metadata (host binding
 * data names, camel-cased by the worker), and for `sdkBinding: true` the model binding data that
 * @azure/functions-extensions-servicebus decodes.
 */

/** The model binding data source the extension registers its factory under. */
export const serviceBusModelBindingSource = 'AzureServiceBusReceivedMessage';

/** The raw body bytes, whatever AMQP section carried them. Needs a receiver with `skipParsingBodyAsJson`. */
export function messageBodyBytes(message: ServiceBusReceivedMessage): Buffer {
  const body: unknown = message.body;
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body === undefined || body === null) return Buffer.alloc(0);
  // A value section holding a structure: the host serialises it; JSON is the closest faithful text.
  return Buffer.from(JSON.stringify(body), 'utf8');
}

function tryJsonParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The trigger argument as the Node worker delivers it for a non-SDK Service Bus trigger. */
export function triggerBodyFor(message: ServiceBusReceivedMessage): unknown {
  return tryJsonParse(messageBodyBytes(message).toString('utf8'));
}

/**
 * The trigger argument for a non-SDK Service Bus trigger, by the binding's `dataType` (a function.json property
 * the v4 worker passes through in `rawBindings`): `"binary"` binds the message to byte[] (the Service Bus
 * extension's message-to-byte[] converter takes the body's bytes) and the worker hands the function a Buffer
 * (the v3 model's documented behaviour, azure-functions-nodejs-worker#684); otherwise the body as text, JSON-parsed
 * when it parses.
 */
export function triggerInputFor(message: ServiceBusReceivedMessage, dataType: unknown): unknown {
  return dataType === 'binary' ? messageBodyBytes(message) : triggerBodyFor(message);
}

/** The worker's toCamelCaseKey: only the first character is lowered. */
function camelKey(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

function camelValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(camelValue);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[camelKey(key)] = camelValue(inner);
  return out;
}

/** Host DateTime values travel as ISO strings. */
function toIso(value: Date | undefined): string | undefined {
  return value ? value.toISOString() : undefined;
}

function propertiesForWorker(props: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props ?? {})) {
    out[key] =
      value instanceof Date ? value.toISOString() : Buffer.isBuffer(value) ? value.toString('base64') : value;
  }
  return out;
}

/**
 * The trigger metadata (`context.triggerMetadata`): the host's Service Bus binding data contract with the
 * worker's camel-casing of keys AND of nested keys (so application property `Foo-Bar` arrives as `foo-Bar`),
 * and with string values JSON-parsed when they parse, as the worker does.
 */
export function triggerMetadataFor(message: ServiceBusReceivedMessage): Record<string, unknown> {
  const applicationProperties = propertiesForWorker(message.applicationProperties);
  const hostBindingData: Record<string, unknown> = {
    // .NET's ServiceBusReceivedMessage.DeliveryCount is the AMQP header count + 1 (1 on the first delivery);
    // @azure/service-bus exposes the raw header.
    DeliveryCount: (message.deliveryCount ?? 0) + 1,
    DeadLetterSource: message.deadLetterSource,
    LockToken: message.lockToken,
    ExpiresAtUtc: toIso(message.expiresAtUtc),
    ExpiresAt: toIso(message.expiresAtUtc),
    EnqueuedTimeUtc: toIso(message.enqueuedTimeUtc),
    EnqueuedTime: toIso(message.enqueuedTimeUtc),
    MessageId: message.messageId,
    ContentType: message.contentType,
    ReplyTo: message.replyTo,
    SequenceNumber: message.sequenceNumber?.toNumber(),
    To: message.to,
    Label: message.subject,
    Subject: message.subject,
    CorrelationId: message.correlationId,
    SessionId: message.sessionId,
    ApplicationProperties: applicationProperties,
    UserProperties: applicationProperties,
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(hostBindingData)) {
    if (value === undefined || value === null) continue;
    const converted = typeof value === 'string' ? tryJsonParse(value) : value;
    out[camelKey(key)] = camelValue(converted);
  }
  return out;
}

/** A GUID string as .NET's Guid.ToByteArray() lays it out (first three groups little-endian). */
export function guidToDotNetBytes(guid: string): Buffer {
  const hex = guid.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`lock token '${guid}' is not a GUID`);
  const bytes = Buffer.from(hex, 'hex');
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
}

const lockTokenMarker = Buffer.from('x-opt-lock-token');

/** The AMQP encoding of the message as the broker delivered it (annotations typed as Service Bus sends them). */
export function encodeAmqpMessage(message: ServiceBusReceivedMessage): Buffer {
  const annotations: Record<string, unknown> = {};
  if (message.enqueuedTimeUtc)
    annotations['x-opt-enqueued-time'] = rhea.types.wrap_timestamp(message.enqueuedTimeUtc.getTime());
  if (message.sequenceNumber)
    annotations['x-opt-sequence-number'] = rhea.types.wrap_long(message.sequenceNumber.toNumber());
  if (message.lockedUntilUtc)
    annotations['x-opt-locked-until'] = rhea.types.wrap_timestamp(message.lockedUntilUtc.getTime());
  if (message.deadLetterSource) annotations['x-opt-deadletter-source'] = message.deadLetterSource;
  const amqp: rhea.Message = {
    body: rhea.message.data_section(messageBodyBytes(message)) as unknown,
    message_annotations: annotations,
    application_properties: message.applicationProperties ?? {},
    delivery_count: message.deliveryCount ?? 0,
    durable: true,
  };
  if (message.messageId !== undefined) amqp.message_id = String(message.messageId);
  if (message.correlationId !== undefined) amqp.correlation_id = String(message.correlationId);
  if (message.contentType !== undefined) amqp.content_type = message.contentType;
  if (message.subject !== undefined) amqp.subject = message.subject;
  if (message.to !== undefined) amqp.to = message.to;
  if (message.replyTo !== undefined) amqp.reply_to = message.replyTo;
  if (message.sessionId !== undefined) amqp.group_id = message.sessionId;
  if (message.replyToSessionId !== undefined) amqp.reply_to_group_id = message.replyToSessionId;
  if (message.timeToLive !== undefined && message.timeToLive < 0xffffffff) amqp.ttl = message.timeToLive;
  return rhea.message.encode(amqp);
}

/** The ModelBindingData the host sends for `sdkBinding: true`: lock token bytes, marker, AMQP message. */
export interface ServiceBusModelBindingData {
  version: string;
  source: string;
  contentType: string;
  content: Buffer;
}

export function modelBindingDataFor(message: ServiceBusReceivedMessage): ServiceBusModelBindingData {
  if (!message.lockToken)
    throw new Error('a message received in receiveAndDelete mode has no lock token to settle with');
  return {
    version: '1.0',
    source: serviceBusModelBindingSource,
    contentType: 'application/octet-stream',
    content: Buffer.concat([
      guidToDotNetBytes(message.lockToken),
      lockTokenMarker,
      encodeAmqpMessage(message),
    ]),
  };
}
