import type { ServiceBusMessage } from '@azure/service-bus';
import { mulberry32 } from '../../devhost/aci/faultRates';
import { parseEventMessage, type EventMessage } from '../../shared/events/parseEventMessage';
import { hostileCorpus } from '../../test/shared/events/hostileCorpus';
import { chaosEvent } from './chaosRun';
import { otherRoute, recordRoute, recordType } from './chaosRoutes';

/** The app's default DISPATCH_MAX_EVENT_BYTES (the chaos stack does not change it). */
const maxEventBytes = 262_144;
export const fuzzSource = 'urn:chaos:fuzz';
/** The reason a forged `dispatch-dead-letter-reason` carries: never one the dispatcher writes. */
export const forgedReason = 'ChaosForgedReason';

/** The body of poison messages sent in pairs under distinct numeric or binary MessageIds. */
export const twinBody = '{"not":"an event"}';

/** One message of the fuzz corpus and what must become of it. */
export interface FuzzCase {
  /** The class of attack or mutation, for the report. */
  kind: string;
  message: ServiceBusMessage;
  /** The valid event the message carries and that must run (Succeeded) or be dead-lettered with a reason. */
  runs?: { source: string; id: string };
  /**
   * The id the message was built around, when its body still contains it: a run of it is a finding when the
   * message must be rejected, and so is a dead-letter queue without a copy that contains it.
   */
  idHint?: string;
  /**
   * The `chaos-case` application property every fuzz message carries (first, so a bounded dead-letter copy
   * keeps it): whatever its body became, its dead letter is found by it.
   */
  tag: string;
}

/** The application property that tags each fuzz message (see FuzzCase.tag). */
export const caseTagProperty = 'chaos-case';

const nested = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

/**
 * What the product's own strict parser makes of a message: the valid event it carries (id, source, type), or
 * undefined when it must be rejected. The trigger is expected to agree; when it does not, the run shows it.
 */
function judge(message: ServiceBusMessage): { id: string; source: string; type: string } | undefined {
  try {
    const eventMessage: EventMessage = {
      body: message.body as unknown,
      ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
      ...(message.applicationProperties ? { applicationProperties: message.applicationProperties } : {}),
    };
    const { event } = parseEventMessage(eventMessage, { maxEventBytes });
    return { id: event.id, source: event.source, type: event.type };
  } catch {
    return undefined;
  }
}

/** The hostile corpus of the parser tests, as messages a sender can put on the queue. */
function corpusMessages(): Array<{ name: string; message: Omit<ServiceBusMessage, 'messageId'> }> {
  const out: Array<{ name: string; message: Omit<ServiceBusMessage, 'messageId'> }> = [];
  for (const c of hostileCorpus()) {
    let body: unknown = c.message.body;
    if (body instanceof Uint8Array) body = Buffer.from(body);
    else if (typeof body === 'string') body = Buffer.from(body, 'utf8');
    else if (body !== undefined) {
      // A body the host already parsed: what a sender puts on the wire for it is its JSON text.
      try {
        body = Buffer.from(JSON.stringify(body), 'utf8');
      } catch {
        continue; // too deep to stringify: the text cases cover it
      }
    }
    out.push({
      name: `corpus: ${c.name}`,
      message: {
        body,
        ...(c.message.contentType !== undefined ? { contentType: c.message.contentType } : {}),
        ...(c.message.applicationProperties
          ? {
              applicationProperties: c.message
                .applicationProperties as ServiceBusMessage['applicationProperties'],
            }
          : {}),
      },
    });
  }
  return out;
}

type Mutation = (text: string, random: () => number) => { body: Buffer; contentType?: string };

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const at = (random: () => number, length: number): number => Math.floor(random() * Math.max(1, length));

/** Mutations of a valid event's JSON text; most break it, some keep it valid (and it must then run). */
const mutations: Record<string, Mutation> = {
  'flip a byte': (t, r) => {
    const b = utf8(t);
    b[at(r, b.length)] = at(r, 256);
    return { body: b };
  },
  truncate: (t, r) => ({ body: utf8(t.slice(0, at(r, t.length))) }),
  'insert invalid UTF-8': (t, r) => {
    const i = at(r, t.length);
    const bad = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80]][at(r, 5)] ?? [0xff];
    return { body: Buffer.concat([utf8(t.slice(0, i)), Buffer.from(bad), utf8(t.slice(i))]) };
  },
  'deep data': (t, r) => ({
    body: utf8(t.replace(/"data":\{[^}]*\}/, `"data":${nested(60 + at(r, 5000))}`)),
  }),
  'drop an attribute': (t, r) => {
    const attr = ['specversion', 'id', 'source', 'type'][at(r, 4)] ?? 'id';
    const event = JSON.parse(t) as Record<string, unknown>;
    delete event[attr];
    return { body: utf8(JSON.stringify(event)) };
  },
  'attribute of the wrong type': (t, r) => {
    const attr = ['specversion', 'id', 'source', 'type', 'time', 'subject'][at(r, 6)] ?? 'id';
    const value = [7, true, null, { a: 1 }, [1], ''][at(r, 6)];
    return { body: utf8(JSON.stringify({ ...(JSON.parse(t) as object), [attr]: value })) };
  },
  'control character in an attribute': (t, r) => {
    const ch = String.fromCharCode([0, 1, 0x1f, 0x7f, 0x85, 0xfffe][at(r, 6)] ?? 0);
    const event = JSON.parse(t) as Record<string, string>;
    return { body: utf8(JSON.stringify({ ...event, id: `${event['id']}${ch}` })) };
  },
  'prototype pollution': (t) => ({
    body: utf8(t.replace(/"data":\{/, '"data":{"__proto__":{"admin":true},')),
  }),
  'duplicate key': (t) => ({ body: utf8(t.replace(/^\{/, '{"id":"shadow",')) }),
  'unknown type (no route)': (t, r) => ({
    body: utf8(JSON.stringify({ ...(JSON.parse(t) as object), type: `chaos.unrouted.${at(r, 1000)}` })),
  }),
  'foreign content type': (t, r) => ({
    body: utf8(t),
    contentType:
      [
        'text/plain',
        'application/xml',
        'application/cloudevents-batch+json',
        'application/cloudevents+avro',
        'a/b; charset=latin1',
        'not a type',
      ][at(r, 6)] ?? 'text/plain',
  }),
  'oversized data': (t, r) => ({
    body: utf8(t.replace(/"data":\{/, `"data":{"pad":"${'x'.repeat(maxEventBytes + at(r, 1000))}",`)),
  }),
  'random bytes': (_t, r) => {
    const b = Buffer.alloc(1 + at(r, 300));
    for (let i = 0; i < b.length; i++) b[i] = at(r, 256);
    return { body: b };
  },
  'valid with odd but legal data': (t, r) => ({
    body: utf8(
      t.replace(
        /"data":\{/,
        `"data":{"s":${JSON.stringify(String.fromCodePoint(0x1f600 + at(r, 50)) + '\u00e9\u4e2d')},"m":${at(r, 1e6)},`,
      ),
    ),
  }),
};

/**
 * At least `count` messages: the parser tests' hostile corpus, property attacks a sender could try against the
 * dispatcher (forged dispatch-route / dispatch-attempt / dead-letter marks, a squatted requeue MessageId, the
 * same id from another source, 60,000-character properties, numeric and binary MessageIds, invalid UTF-8,
 * 5,000-level nesting) and seeded mutations of valid events. `prefix` makes ids unique per run.
 */
export function fuzzCorpus(count: number, seed: number, prefix: string): FuzzCase[] {
  const random = mulberry32(seed);
  const cases: FuzzCase[] = [];
  let n = 0;
  // The trailing letter keeps one id from being a prefix of another (`-15x` vs `-152x`) when bodies are searched.
  const nextId = (): string => `${prefix}-${n++}x`;
  const add = (
    kind: string,
    message: Omit<ServiceBusMessage, 'messageId'> & { messageId?: ServiceBusMessage['messageId'] },
    idHint?: string,
  ): void => {
    const verdict = judge(message);
    const runs =
      verdict && verdict.type === recordType ? { source: verdict.source, id: verdict.id } : undefined;
    const body: unknown = message.body;
    const hinted = idHint !== undefined && Buffer.isBuffer(body) && body.includes(idHint);
    const tag = `${prefix}-c${cases.length}`;
    cases.push({
      kind,
      tag,
      message: {
        messageId: nextId(),
        ...message,
        applicationProperties: { [caseTagProperty]: tag, ...message.applicationProperties },
      },
      ...(runs ? { runs } : {}),
      ...(hinted ? { idHint } : {}),
    });
  };
  const valid = (id: string, data: Record<string, unknown> = {}, source = fuzzSource): Buffer =>
    utf8(chaosEvent(id, source, data));
  const contentType = 'application/cloudevents+json';

  for (const c of corpusMessages()) add(c.name, c.message);

  const rounds = Math.max(1, Math.round(count / 500));
  for (let i = 0; i < rounds; i++) {
    let id = nextId();
    add(
      'forged dispatch-route',
      { body: valid(id), contentType, applicationProperties: { 'dispatch-route': otherRoute } },
      id,
    );
    id = nextId();
    add(
      'forged dispatch-attempt 99',
      { body: valid(id), contentType, applicationProperties: { 'dispatch-attempt': 99 } },
      id,
    );
    id = nextId();
    add(
      'forged dead-letter reason',
      {
        body: valid(id),
        contentType,
        applicationProperties: {
          'dispatch-dead-letter-reason': forgedReason,
          'dispatch-dead-letter-description': 'forged by a sender',
        },
      },
      id,
    );
    // A message sent first under the MessageId the requeue copy of attempt 2 would get.
    id = nextId();
    add('squatter of a requeue MessageId', { body: utf8('squat'), messageId: `${id}:${recordRoute}:2` });
    add(
      'event whose requeue MessageId was squatted',
      { body: utf8(chaosEvent(id, fuzzSource, { failFirst: true })), contentType },
      id,
    );
    id = nextId();
    add('same id, first source', { body: valid(id, {}, `${fuzzSource}:a`), contentType }, id);
    add('same id, other source', { body: valid(id, {}, `${fuzzSource}:b`), contentType }, id);
    id = nextId();
    add(
      '60,000-character property, valid event',
      { body: valid(id), contentType, applicationProperties: { big: 'p'.repeat(60_000) } },
      id,
    );
    id = nextId();
    add(
      '60,000-character property, poison',
      { body: utf8(`{"id":"${id}"`), applicationProperties: { big: 'p'.repeat(60_000) } },
      id,
    );
    const twin = utf8(twinBody);
    add('numeric MessageId (equal bodies)', { body: twin, messageId: 1_000_000 + 2 * i });
    add('numeric MessageId (equal bodies)', { body: twin, messageId: 1_000_001 + 2 * i });
    add('binary MessageId (equal bodies)', {
      body: twin,
      messageId: Buffer.from([i & 0xff, (i >> 8) & 0xff, 1]),
    });
    add('binary MessageId (equal bodies)', {
      body: twin,
      messageId: Buffer.from([i & 0xff, (i >> 8) & 0xff, 2]),
    });
    id = nextId();
    add(
      'invalid UTF-8 in a valid-looking event',
      {
        body: Buffer.concat([
          utf8(chaosEvent(id, fuzzSource, { s: 'caf' }).replace('"caf"', '"caf')),
          Buffer.from([0xe9]),
          utf8('"}}'),
        ]),
        contentType,
      },
      id,
    );
    id = nextId();
    add(
      '5,000 levels of nesting (10 KB)',
      { body: utf8(chaosEvent(id, fuzzSource).replace('"data":{}', `"data":${nested(5000)}`)), contentType },
      id,
    );
  }

  const names = Object.keys(mutations);
  while (cases.length < count) {
    const id = nextId();
    const name = names[at(random, names.length)] ?? 'truncate';
    const text = chaosEvent(id, fuzzSource, {
      n: at(random, 1e6),
      ...(random() < 0.05 ? { failFirst: true } : {}),
    });
    const mutated = (mutations[name] ?? mutations['truncate']!)(text, random);
    add(`mutation: ${name}`, { ...mutated, ...(mutated.contentType ? {} : { contentType }) }, id);
  }
  return cases;
}
