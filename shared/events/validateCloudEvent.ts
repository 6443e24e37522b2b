import { CloudEvent as SdkCloudEvent, ValidationError } from 'cloudevents';
import { InvalidEventError } from '../errors/dispatchErrors';
import type { CloudEvent } from './cloudEvent';
import { attributeTextProblem } from './attributeTextProblem';
import { describeValue } from './describeValue';

interface Problem {
  path: string;
  message: string;
}

const REQUIRED = ['id', 'source', 'type'] as const;
const OPTIONAL_STRINGS = ['subject', 'datacontenttype', 'dataschema'] as const;
/** Members of the JSON format that are not attributes (so the attribute-name rule does not apply). */
const NOT_ATTRIBUTES = new Set(['data', 'data_base64']);
const CORE = new Set<string>(['specversion', 'time', ...REQUIRED, ...OPTIONAL_STRINGS]);
/** CloudEvents 1.0.2 "Attribute Naming Convention", applied strictly (the 20 characters are a SHOULD there). */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
/** Names shown as they are in a problem; any other is shown as (a cut of) its JSON text. */
const ATTRIBUTE_NAME_SHOWN = /^[\w.:$@-]{1,40}$/;
// RFC 3339 date-time: full-date "T" full-time with a mandatory offset (Z or +hh:mm).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INT32 = { min: -2_147_483_648, max: 2_147_483_647 };

/**
 * Validates an already-parsed value as a CloudEvents 1.0 event; throws InvalidEventError naming every bad
 * attribute (the error's `path` is the first one).
 *
 * The official SDK (`cloudevents`) then checks the event against the specification's JSON schema (URI-reference
 * `source`, absolute-URI `dataschema`, media-type and date-time formats). Its strict mode alone is not enough
 * for a queue that anyone can write to, so the checks before it stay: it invents an `id` (uuid v4) and a `time`
 * when they are missing, accepts any `specversion` other than "0.3" without validating it, accepts objects,
 * arrays and null as extension values and names longer than 20 characters, takes date-times without an offset
 * or with a space separator, and throws a DOMException (not its ValidationError) on bad `data_base64`.
 */
export function validateCloudEvent(value: unknown): CloudEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEventError(
      `body: expected a CloudEvents JSON object, got ${describeValue(value)}`,
      'body',
    );
  }
  const record = value as Record<string, unknown>;
  const problems = attributeProblems(record);
  if (problems.length === 0) problems.push(...sdkProblems(record));
  const first = problems[0];
  if (first) {
    throw new InvalidEventError(problems.map((p) => `${p.path}: ${p.message}`).join('; '), first.path);
  }
  return record as CloudEvent;
}

function attributeProblems(record: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string): void => void problems.push({ path, message });
  const spec = record.specversion;
  if (spec === undefined) add('specversion', 'missing required attribute, expected "1.0"');
  else if (spec !== '1.0') add('specversion', `expected "1.0", got ${describeValue(spec)}`);
  for (const name of REQUIRED) {
    const attr = record[name];
    if (attr === undefined) add(name, 'missing required attribute, expected a non-empty string');
    else if (typeof attr !== 'string') add(name, `expected a non-empty string, got ${describeValue(attr)}`);
    else if (attr.length === 0) add(name, 'must not be empty');
    else stringProblem(name, attr, add);
  }
  for (const name of OPTIONAL_STRINGS) {
    const attr = record[name];
    if (attr === undefined) continue;
    if (typeof attr !== 'string') add(name, `expected a string, got ${describeValue(attr)}`);
    else if (attr.length === 0) add(name, 'must not be empty when present');
    else stringProblem(name, attr, add);
  }
  const time = record.time;
  if (time !== undefined && (typeof time !== 'string' || !isRfc3339(time))) {
    add('time', `expected an RFC 3339 timestamp such as "2026-01-31T12:00:00Z", got ${describeValue(time)}`);
  }
  const base64 = record.data_base64;
  if (base64 !== undefined && (typeof base64 !== 'string' || !BASE64.test(base64))) {
    add('data_base64', `expected base64 text (RFC 4648), got ${describeValue(base64)}`);
  }
  if (record.data !== undefined && base64 !== undefined)
    add('data_base64', 'must not be present together with data');
  for (const [name, attr] of Object.entries(record)) {
    if (CORE.has(name) || NOT_ATTRIBUTES.has(name)) continue;
    // JSON text: a name with a lone surrogate or a control character stays readable and well-formed.
    const shown =
      name === ''
        ? '""'
        : ATTRIBUTE_NAME_SHOWN.test(name)
          ? name
          : `${JSON.stringify(name.slice(0, 40))}${name.length > 40 ? '…' : ''}`;
    if (!ATTRIBUTE_NAME.test(name)) {
      add(
        shown,
        'invalid extension attribute name, expected 1 to 20 lower-case letters or digits (a-z, 0-9)',
      );
    } else if (typeof attr === 'string') stringProblem(name, attr, add);
    else if (typeof attr === 'number') {
      if (!Number.isInteger(attr) || attr < INT32.min || attr > INT32.max) {
        add(name, `expected an integer between ${INT32.min} and ${INT32.max}, got ${describeValue(attr)}`);
      }
    } else if (typeof attr !== 'boolean') {
      add(name, `expected a string, boolean or integer extension value, got ${describeValue(attr)}`);
    }
  }
  return problems;
}

function stringProblem(name: string, text: string, add: (path: string, message: string) => void): void {
  const problem = attributeTextProblem(name, text);
  if (problem !== undefined) add(name, problem);
}

/**
 * The SDK's schema check; its ajv errors name the attribute as `/source`. It gets the core attributes only:
 * the SDK copies extensions onto its instance, so an extension named `validate` (a valid name) would replace
 * the method it then calls. Extensions are checked above, more strictly than the SDK does.
 */
function sdkProblems(record: Record<string, unknown>): Problem[] {
  const core: Record<string, unknown> = {};
  for (const name of [...CORE, ...NOT_ATTRIBUTES]) if (record[name] !== undefined) core[name] = record[name];
  try {
    new SdkCloudEvent(core, true);
    return [];
  } catch (err) {
    const errors = err instanceof ValidationError ? (err.errors ?? []) : [];
    if (errors.length > 0) {
      return errors.map((e) => {
        const { instancePath = '', message = 'is invalid' } = e as {
          instancePath?: string;
          message?: string;
        };
        const path = instancePath.replace(/^\//, '') || 'body';
        return { path, message: `${message}, got ${describeValue(record[path])}` };
      });
    }
    return [{ path: 'body', message: `rejected by the CloudEvents SDK: ${(err as Error).message}` }];
  }
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
