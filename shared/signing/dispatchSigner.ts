import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DISPATCH_PROPERTY_PREFIX, DispatchProperty } from './dispatchProperty';
import type { SigningKeys } from './signingKeys';

/** CloudEvents makes `id` unique only within its `source`: the pair is the event's identity. */
export interface EventIdentity {
  source: string;
  id: string;
}

/**
 * The identity a signature over a message that is not a readable event uses (a marked copy of a poison
 * message). A valid CloudEvent has a non-empty source and id, so no event can share it.
 */
export const POISON_IDENTITY: EventIdentity = { source: '', id: '' };

/** What the dispatcher's own copies tell the trigger. All of it is covered by the signature. */
export interface DispatchMarks {
  route?: string;
  attempt?: number;
  /** Resubmission generation (0 or absent: the original delivery). */
  resubmission?: number;
  deadLetterReason?: string;
}

/** Text that travels beside the marks for people to read; never steers anything, so it is not signed. */
export interface DispatchNotes {
  lastError?: string;
  deadLetterDescription?: string;
}

export type MarksReading =
  /** No `dispatch-*` property at all: a plain event. */
  | { kind: 'none' }
  | { kind: 'signed'; marks: DispatchMarks; notes: DispatchNotes; key: 'current' | 'previous' }
  /** Reserved properties without a valid signature; `reason` says which and why. */
  | { kind: 'untrusted'; reason: string };

/** What a keyed MessageId is for; part of the hashed text, so ids of different purposes never collide. */
export type MessageIdPurpose = 'requeue' | 'dead-letter' | 'resubmit' | 'invalid';

const SIGNATURE_VERSION = 'v1';
const NOTE_PROPERTIES: ReadonlySet<string> = new Set([
  DispatchProperty.lastError,
  DispatchProperty.deadLetterDescription,
]);

/**
 * Signs and verifies the properties that steer the dispatcher, and makes its MessageIds, with the app's key
 * (HMAC-SHA256). The signed text is a JSON array — version, source, id, then every steering `dispatch-*`
 * property as [name, value] sorted by name — so no two different inputs encode alike. Signing uses the current
 * key; verification accepts the current or the previous one, so a key can be rotated while copies signed
 * with the old one are still scheduled.
 */
export class DispatchSigner {
  constructor(private readonly keys: SigningKeys) {}

  /** The application properties of a copy: the marks, the signature over them, and the notes. */
  properties(
    identity: EventIdentity,
    marks: DispatchMarks,
    notes: DispatchNotes = {},
  ): Record<string, string | number> {
    const steering = marksToProperties(marks);
    const out: Record<string, string | number> = { ...steering };
    if (notes.lastError !== undefined) out[DispatchProperty.lastError] = notes.lastError;
    if (notes.deadLetterDescription !== undefined)
      out[DispatchProperty.deadLetterDescription] = notes.deadLetterDescription;
    out[DispatchProperty.signature] = this.signature(this.keys.current, identity, steering);
    return out;
  }

  /**
   * Reads the reserved properties of a received message (names compared case-insensitively: the host
   * camel-cases them). Trusted only when the signature verifies for this identity with either key.
   */
  read(identity: EventIdentity, applicationProperties: Readonly<Record<string, unknown>>): MarksReading {
    const reserved = new Map<string, unknown>();
    for (const [name, value] of Object.entries(applicationProperties ?? {})) {
      const lower = name.toLowerCase();
      if (lower.startsWith(DISPATCH_PROPERTY_PREFIX)) reserved.set(lower, value);
    }
    if (reserved.size === 0) return { kind: 'none' };
    const names = [...reserved.keys()].sort().join(', ');
    const given = reserved.get(DispatchProperty.signature);
    if (typeof given !== 'string' || given === '') {
      return {
        kind: 'untrusted',
        reason: `reserved properties (${names}) without ${DispatchProperty.signature}`,
      };
    }
    const steering: Record<string, string> = {};
    for (const [name, value] of reserved) {
      if (name === DispatchProperty.signature || NOTE_PROPERTIES.has(name)) continue;
      const text = valueText(value);
      if (text === undefined) {
        return { kind: 'untrusted', reason: `${name}: ${typeof value} is not a value the dispatcher writes` };
      }
      steering[name] = text;
    }
    const key = this.matchingKey(identity, steering, given);
    if (key === undefined) {
      return {
        kind: 'untrusted',
        reason: `reserved properties (${names}): ${DispatchProperty.signature} does not verify for source ${JSON.stringify(identity.source)}, id ${JSON.stringify(identity.id)} with the app's current or previous key`,
      };
    }
    const marks = propertiesToMarks(steering);
    if (typeof marks === 'string') return { kind: 'untrusted', reason: marks };
    const notes: DispatchNotes = {};
    const lastError = reserved.get(DispatchProperty.lastError);
    const description = reserved.get(DispatchProperty.deadLetterDescription);
    if (lastError !== undefined) notes.lastError = noteText(lastError);
    if (description !== undefined) notes.deadLetterDescription = noteText(description);
    return { kind: 'signed', marks, notes, key };
  }

  /**
   * A MessageId for a copy the dispatcher sends: the same for the same (purpose, identity, parts), so duplicate
   * detection drops a double send; unguessable without the key, so nobody can occupy it first. 52 characters
   * at most (Service Bus allows 128).
   */
  messageId(purpose: MessageIdPurpose, identity: EventIdentity, parts: readonly (string | number)[]): string {
    const text = JSON.stringify(['dispatch-message-id/v1', purpose, identity.source, identity.id, ...parts]);
    return `${purpose}:${hmac(this.keys.current, text)}`;
  }

  /**
   * The MessageId of the dead-letter copy of a message that is not a readable event: from its own MessageId
   * (see messageIdText), so a redelivery yields the same copy while two messages with equal bodies yield two;
   * from the body only when the message had no id.
   */
  poisonMessageId(originalMessageId: string | undefined, body: Uint8Array): string {
    const part =
      originalMessageId !== undefined
        ? `message:${originalMessageId}`
        : `body:${createHash('sha256').update(body).digest('hex')}`;
    return this.messageId('invalid', POISON_IDENTITY, [part]);
  }

  private signature(
    key: Uint8Array,
    identity: EventIdentity,
    steering: Readonly<Record<string, string | number>>,
  ): string {
    const pairs = Object.keys(steering)
      .sort()
      .map((name) => [name, String(steering[name])]);
    const text = JSON.stringify(['dispatch-signature/v1', identity.source, identity.id, pairs]);
    return `${SIGNATURE_VERSION}.${hmac(key, text)}`;
  }

  private matchingKey(
    identity: EventIdentity,
    steering: Readonly<Record<string, string>>,
    given: string,
  ): 'current' | 'previous' | undefined {
    if (sameText(this.signature(this.keys.current, identity, steering), given)) return 'current';
    if (this.keys.previous && sameText(this.signature(this.keys.previous, identity, steering), given))
      return 'previous';
    return undefined;
  }
}

function hmac(key: Uint8Array, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

function marksToProperties(marks: DispatchMarks): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const integer = (name: string, value: number | undefined, min: number): void => {
    if (value === undefined) return;
    if (!Number.isSafeInteger(value) || value < min)
      throw new TypeError(`${name}: expected an integer >= ${min}, got ${value}`);
    out[name] = value;
  };
  if (marks.route !== undefined) out[DispatchProperty.route] = marks.route;
  integer(DispatchProperty.attempt, marks.attempt, 1);
  if (marks.resubmission !== 0) integer(DispatchProperty.resubmission, marks.resubmission, 1);
  if (marks.deadLetterReason !== undefined) out[DispatchProperty.deadLetterReason] = marks.deadLetterReason;
  return out;
}

/** Marks from verified property texts, or what is wrong with them (a signed value the dispatcher never writes). */
function propertiesToMarks(steering: Readonly<Record<string, string>>): DispatchMarks | string {
  const marks: DispatchMarks = {};
  for (const [name, text] of Object.entries(steering)) {
    if (name === DispatchProperty.route) marks.route = text;
    else if (name === DispatchProperty.deadLetterReason) marks.deadLetterReason = text;
    else if (name === DispatchProperty.attempt || name === DispatchProperty.resubmission) {
      if (!/^[1-9]\d{0,8}$/.test(text))
        return `${name}: expected a positive integer, got ${JSON.stringify(text.slice(0, 40))}`;
      if (name === DispatchProperty.attempt) marks.attempt = Number(text);
      else marks.resubmission = Number(text);
    } else return `${name}: not a property this version of the dispatcher understands`;
  }
  return marks;
}

/** Steering values are route names, reasons and integers; the worker may have JSON-parsed a numeric text. */
function valueText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

function noteText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
