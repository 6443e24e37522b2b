import { InvalidEventError } from '../errors/dispatchErrors';
import { describeValue } from './describeValue';

/**
 * CloudEvents AMQP protocol binding 1.0.2, "AMQP Application Property Names": attributes are prefixed with
 * `cloudEvents_` (preferred, JMS-compatible) or `cloudEvents:` (the 1.0 spelling, still valid), and a single
 * message MUST use one separator for all of them. The SDK has no AMQP binding (HTTP, Kafka and MQTT only),
 * hence this mapping.
 */
export const CLOUD_EVENTS_PROPERTY_PREFIXES = ['cloudEvents_', 'cloudEvents:'] as const;
const PREFIX_LENGTH = 'cloudEvents_'.length;
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;

/**
 * The CloudEvents attributes carried as application properties, or undefined when there are none (then the
 * message is not a binary-mode event). Values are mapped from their AMQP types: timestamps become RFC 3339
 * text, binary becomes base64; strings, booleans and integers stay as they are for validation to judge.
 */
export function binaryModeAttributes(
  properties: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> | undefined {
  const attributes: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const separators = new Set<string>();
  for (const [key, value] of Object.entries(properties ?? {})) {
    // Lenient about the prefix's case only: hosts and SDKs differ there; the attribute name is checked strictly.
    const prefix = key.slice(0, PREFIX_LENGTH).toLowerCase();
    if (prefix !== 'cloudevents_' && prefix !== 'cloudevents:') continue;
    separators.add(prefix.slice(-1));
    const name = key.slice(PREFIX_LENGTH);
    const fail = (message: string): never => {
      throw new InvalidEventError(
        `application property ${JSON.stringify(key.slice(0, 60))}: ${message}`,
        key,
      );
    };
    if (!ATTRIBUTE_NAME.test(name)) {
      fail('the attribute name after the prefix must be 1 to 20 lower-case letters or digits (a-z, 0-9)');
    }
    if (name === 'datacontenttype') {
      fail(
        'binary mode carries datacontenttype in the AMQP content-type property, not as an application property',
      );
    }
    if (name === 'data') fail('binary mode carries data in the message body, not as an application property');
    attributes[name] = amqpValue(value, fail);
  }
  if (separators.size === 0) return undefined;
  if (separators.size > 1) {
    throw new InvalidEventError(
      'application properties: both cloudEvents_ and cloudEvents: prefixes are used; the CloudEvents AMQP binding requires one separator for all attributes of a message',
      'applicationProperties',
    );
  }
  return { ...attributes };
}

function amqpValue(value: unknown, fail: (message: string) => never): unknown {
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail('the timestamp is not a valid date');
    return value.toISOString();
  }
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return fail(`expected a string, boolean, integer, timestamp or binary value, got ${describeValue(value)}`);
}
