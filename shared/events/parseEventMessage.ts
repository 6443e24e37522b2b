import { InvalidEventError } from '../errors/dispatchErrors';
import { binaryModeAttributes } from './binaryModeAttributes';
import type { ParsedEvent } from './cloudEvent';
import { decodeUtf8 } from './decodeUtf8';
import { describeValue } from './describeValue';
import { DEFAULT_MAX_EVENT_DEPTH, type EventLimits } from './eventLimits';
import { inspectParsedBody } from './inspectParsedBody';
import { parseJson } from './parseJson';
import { validateCloudEvent } from './validateCloudEvent';

/** A Service Bus message as far as reading its event goes. */
export interface EventMessage {
  /** Bytes (AMQP data section), text, or the value the Functions host already JSON-parsed. */
  body: unknown;
  /** The AMQP `content-type` property. */
  contentType?: string;
  /** AMQP application properties; `cloudEvents_*` / `cloudEvents:*` ones make a binary-mode event. */
  applicationProperties?: Readonly<Record<string, unknown>>;
}

interface MediaType {
  type: string;
  charset: string | undefined;
}

/**
 * Reads one message as a CloudEvents 1.0 event, following the CloudEvents AMQP binding:
 * - content type `application/cloudevents+json`: structured mode, the body is the JSON event;
 * - otherwise, `cloudEvents_*` application properties: binary mode, the properties are the attributes, the
 *   body is `data` and the content type is `datacontenttype`;
 * - otherwise no content type or `application/json`: a structured JSON event (what senders have always sent);
 * - anything else, other CloudEvents formats (batch, Avro, Protobuf) included, is rejected with the reason.
 * Bodies are measured before they are decoded, decoded as strict UTF-8 and parsed within the depth limit;
 * every failure is an InvalidEventError saying what was wrong and where.
 */
export function parseEventMessage(message: EventMessage, limits: EventLimits): ParsedEvent {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_EVENT_DEPTH;
  const media = mediaType(message.contentType);
  if (media?.type === 'application/cloudevents+json') return parseStructured(message.body, limits, maxDepth);
  if (media?.type.startsWith('application/cloudevents')) {
    throw new InvalidEventError(
      `contentType: ${describeValue(message.contentType)} is a CloudEvents format the dispatcher does not read; send one event per message as application/cloudevents+json or in binary mode`,
      'contentType',
    );
  }
  const attributes = binaryModeAttributes(message.applicationProperties);
  if (attributes) return parseBinary(attributes, message, media, limits, maxDepth);
  if (media === undefined || media.type === 'application/json')
    return parseStructured(message.body, limits, maxDepth);
  throw new InvalidEventError(
    `contentType: ${describeValue(message.contentType)} is not a CloudEvent: send application/cloudevents+json (or application/json), or a binary-mode event with cloudEvents_* application properties`,
    'contentType',
  );
}

function parseStructured(body: unknown, limits: EventLimits, maxDepth: number): ParsedEvent {
  let json: string;
  let value: unknown;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    json = bodyText(body, limits);
    const parsed = parseJson(json, { maxDepth });
    if (!parsed.ok) throw new InvalidEventError(parsed.message, `json@${parsed.line}:${parsed.column}`);
    value = parsed.value;
  } else if (body === undefined || body === null) {
    throw new InvalidEventError('body: the message has no body, expected a CloudEvents JSON object', 'body');
  } else {
    // Before JSON.stringify, which recurses: the host's JSON.parse accepts any depth.
    inspectParsedBody(body, maxDepth);
    json = JSON.stringify(body) ?? '';
    checkSize(Buffer.byteLength(json, 'utf8'), limits);
    value = body;
  }
  const event = validateCloudEvent(value);
  return { event, json, sizeBytes: Buffer.byteLength(json, 'utf8'), mode: 'structured' };
}

function parseBinary(
  attributes: Record<string, unknown>,
  message: EventMessage,
  media: MediaType | undefined,
  limits: EventLimits,
  maxDepth: number,
): ParsedEvent {
  const event: Record<string, unknown> = { ...attributes };
  if (message.contentType !== undefined && message.contentType !== '')
    event.datacontenttype = message.contentType;
  const { body } = message;
  // The data member as JSON text, spliced into the structured form so that data is never re-serialised.
  let member: { name: 'data' | 'data_base64'; json: string } | undefined;
  if (
    body === undefined ||
    body === null ||
    body === '' ||
    (body instanceof Uint8Array && body.byteLength === 0)
  ) {
    member = undefined;
  } else if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    inspectParsedBody(body, maxDepth - 1);
    event.data = body;
    member = { name: 'data', json: JSON.stringify(body) ?? 'null' };
  } else if (media !== undefined && isJson(media)) {
    const text = bodyText(body, limits);
    const parsed = parseJson(text, { maxDepth: maxDepth - 1 });
    if (!parsed.ok) {
      throw new InvalidEventError(
        `data (the message body): ${parsed.message}`,
        `data@${parsed.line}:${parsed.column}`,
      );
    }
    event.data = parsed.value;
    member = { name: 'data', json: text };
  } else if (
    typeof body === 'string' ||
    (media !== undefined && (media.type.startsWith('text/') || media.charset))
  ) {
    const text = bodyText(body, limits);
    event.data = text;
    member = { name: 'data', json: JSON.stringify(text) };
  } else {
    checkSize(body.byteLength, limits);
    const base64 = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64');
    event.data_base64 = base64;
    member = { name: 'data_base64', json: JSON.stringify(base64) };
  }
  try {
    validateCloudEvent(event);
  } catch (err) {
    if (!(err instanceof InvalidEventError)) throw err;
    throw new InvalidEventError(
      `binary-mode event (cloudEvents_* application properties): ${err.message}`,
      err.path,
    );
  }
  // Attributes in the conventional order; `data` / `data_base64` go last, as text (see `member`).
  const ordered: Record<string, unknown> = {};
  for (const name of ['specversion', 'id', 'source', 'type', ...Object.keys(event)]) {
    if (name !== 'data' && name !== 'data_base64') ordered[name] = event[name];
  }
  const head = JSON.stringify(ordered);
  const json = member ? `${head.slice(0, -1)},${JSON.stringify(member.name)}:${member.json}}` : head;
  const sizeBytes = Buffer.byteLength(json, 'utf8');
  checkSize(sizeBytes, limits);
  return { event: event as ParsedEvent['event'], json, sizeBytes, mode: 'binary' };
}

/** The body as text: size checked on the raw bytes first (nothing is decoded past the limit), BOM removed. */
function bodyText(body: string | Uint8Array, limits: EventLimits): string {
  checkSize(typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength, limits);
  const text = typeof body === 'string' ? body : decodeUtf8(body);
  // RFC 8259 lets a parser ignore one leading byte order mark; any other is an error in the JSON scan.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function checkSize(sizeBytes: number, limits: EventLimits): void {
  if (sizeBytes > limits.maxEventBytes) {
    throw new InvalidEventError(
      `body: ${sizeBytes} bytes is over the limit of ${limits.maxEventBytes} bytes (DISPATCH_MAX_EVENT_BYTES)`,
      'body',
    );
  }
}

function mediaType(contentType: string | undefined): MediaType | undefined {
  if (contentType === undefined || contentType.trim() === '') return undefined;
  const [type = '', ...params] = contentType.split(';').map((part) => part.trim());
  if (!/^[\w!#$&^.+-]+\/[\w!#$&^.+-]+$/.test(type)) {
    throw new InvalidEventError(
      `contentType: ${describeValue(contentType)} is not a media type (RFC 2045)`,
      'contentType',
    );
  }
  const charsetParam = params.find((p) => /^charset=/i.test(p));
  const charset = charsetParam?.slice('charset='.length).replace(/^"|"$/g, '').toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new InvalidEventError(
      `contentType: charset ${JSON.stringify(charset.slice(0, 40))} is not supported, events must be UTF-8`,
      'contentType',
    );
  }
  return { type: type.toLowerCase(), charset };
}

function isJson(media: MediaType): boolean {
  return media.type === 'application/json' || media.type === 'text/json' || media.type.endsWith('+json');
}
