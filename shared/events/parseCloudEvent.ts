import { InvalidEventError } from '../errors/dispatchErrors';
import type { CloudEvent, ParsedEvent } from './cloudEvent';
import { parseJson } from './parseJson';

export interface ParseCloudEventOptions {
  /** DISPATCH_MAX_EVENT_BYTES: larger bodies are poison. */
  maxEventBytes: number;
}

/**
 * Validates a Service Bus message body as a CloudEvents 1.0 structured JSON event.
 *
 * The Functions host hands a Node function the body already JSON-parsed when it is valid JSON, a string
 * otherwise, and bytes for binary bodies: all three are accepted. Size is the UTF-8 byte length of the raw
 * text (or of the re-serialised object, the closest available measure). Every problem with the attributes
 * is reported at once; the error's `path` is the first one.
 */
export function parseCloudEvent(body: unknown, options: ParseCloudEventOptions): ParsedEvent {
  let json: string;
  let value: unknown;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    json =
      typeof body === 'string'
        ? body
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    if (json.charCodeAt(0) === 0xfeff) json = json.slice(1);
    checkSize(Buffer.byteLength(json, 'utf8'), options.maxEventBytes);
    const parsed = parseJson(json);
    if (!parsed.ok) throw new InvalidEventError(parsed.message, `json@${parsed.line}:${parsed.column}`);
    value = parsed.value;
  } else if (body === undefined || body === null) {
    throw new InvalidEventError('body: the message has no body, expected a CloudEvents JSON object', 'body');
  } else {
    value = body;
    json = JSON.stringify(body) ?? '';
    checkSize(Buffer.byteLength(json, 'utf8'), options.maxEventBytes);
  }
  const event = validateCloudEvent(value);
  return { event, json, sizeBytes: Buffer.byteLength(json, 'utf8') };
}

function checkSize(sizeBytes: number, maxEventBytes: number): void {
  if (sizeBytes > maxEventBytes) {
    throw new InvalidEventError(
      `body: ${sizeBytes} bytes is over the limit of ${maxEventBytes} bytes (DISPATCH_MAX_EVENT_BYTES)`,
      'body',
    );
  }
}

const REQUIRED = ['id', 'source', 'type'] as const;
const OPTIONAL_STRINGS = ['subject', 'datacontenttype', 'dataschema', 'data_base64'] as const;
// RFC 3339 date-time: full-date "T" full-time with a mandatory offset (Z or +hh:mm).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Validates an already-parsed value; throws InvalidEventError naming every bad attribute. */
export function validateCloudEvent(value: unknown): CloudEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEventError(`body: expected a CloudEvents JSON object, got ${describe(value)}`, 'body');
  }
  const record = value as Record<string, unknown>;
  const problems: { path: string; message: string }[] = [];
  const spec = record.specversion;
  if (spec === undefined)
    problems.push({ path: 'specversion', message: 'missing required attribute, expected "1.0"' });
  else if (spec !== '1.0')
    problems.push({ path: 'specversion', message: `expected "1.0", got ${describe(spec)}` });
  for (const name of REQUIRED) {
    const attr = record[name];
    if (attr === undefined)
      problems.push({ path: name, message: 'missing required attribute, expected a non-empty string' });
    else if (typeof attr !== 'string')
      problems.push({ path: name, message: `expected a non-empty string, got ${describe(attr)}` });
    else if (attr.length === 0) problems.push({ path: name, message: 'must not be empty' });
  }
  for (const name of OPTIONAL_STRINGS) {
    const attr = record[name];
    if (attr !== undefined && typeof attr !== 'string') {
      problems.push({ path: name, message: `expected a string, got ${describe(attr)}` });
    }
  }
  const time = record.time;
  if (time !== undefined) {
    if (typeof time !== 'string' || !isRfc3339(time)) {
      problems.push({
        path: 'time',
        message: `expected an RFC 3339 timestamp such as "2026-01-31T12:00:00Z", got ${describe(time)}`,
      });
    }
  }
  if (record.data !== undefined && record.data_base64 !== undefined) {
    problems.push({ path: 'data_base64', message: 'must not be present together with data' });
  }
  const first = problems[0];
  if (first) {
    throw new InvalidEventError(problems.map((p) => `${p.path}: ${p.message}`).join('; '), first.path);
  }
  return record as CloudEvent;
}

function isRfc3339(text: string): boolean {
  const m = RFC3339.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 60
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return `${typeof value} ${JSON.stringify(value) ?? ''}`;
}
