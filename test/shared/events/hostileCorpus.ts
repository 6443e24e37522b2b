import type { EventMessage } from '../../../shared/events/parseEventMessage';

/** One hostile or malformed message and the reason it must be rejected with. */
export interface HostileCase {
  name: string;
  message: EventMessage;
  expected: RegExp;
  /** Defaults to 256 KB; the deepest cases get more so that depth, not size, is what rejects them. */
  maxEventBytes?: number;
}

export const valid = { specversion: '1.0', id: 'evt-1', source: '/tests', type: 'demo.hello' };
const head = '{"specversion":"1.0","id":"evt-1","source":"/tests","type":"demo.hello"';
/** A structured event whose members after the attributes are `members` (raw JSON text). */
export const withMembers = (members: string): string => `${head},${members}}`;
const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

const nested = (levels: number, kind: 'array' | 'object' | 'mixed'): string => {
  const open = (i: number): string => (kind === 'array' || (kind === 'mixed' && i % 2 === 1) ? '[' : '{"a":');
  const close = (i: number): string => (open(i) === '[' ? ']' : '}');
  let text = '';
  for (let i = 0; i < levels; i++) text += open(i);
  text += '1';
  for (let i = levels - 1; i >= 0; i--) text += close(i);
  return text;
};

function deepCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const levels of [5_000, 100_000]) {
    for (const kind of ['array', 'object', 'mixed'] as const) {
      const text = withMembers(`"data":${nested(levels, kind)}`);
      const expected = /nesting level 65 is deeper than the limit of 64/;
      const maxEventBytes = 1024 * 1024;
      const common = { expected, maxEventBytes };
      cases.push({
        name: `data nested ${levels} levels (${kind}), text`,
        message: { body: text },
        ...common,
      });
      cases.push({
        name: `data nested ${levels} levels (${kind}), bytes`,
        message: { body: bytes(text) },
        ...common,
      });
      // What the Functions host hands over after its own (non-recursive) JSON.parse.
      const parsed = JSON.parse(text) as unknown;
      cases.push({
        name: `data nested ${levels} levels (${kind}), host-parsed`,
        message: { body: parsed },
        ...common,
      });
      cases.push({
        name: `body nested ${levels} levels (${kind})`,
        message: { body: nested(levels, kind) },
        ...common,
      });
    }
  }
  return cases;
}

function attributeTypeCases(): HostileCase[] {
  const wrong: [string, unknown][] = [
    ['number', 7],
    ['boolean', true],
    ['null', null],
    ['object', { a: 1 }],
    ['array', [1]],
  ];
  // Extensions may be integers and booleans (CloudEvents type system); data_base64 may be empty.
  const allowed = (attr: string, kind: string): boolean =>
    attr === 'myext' && (kind === 'number' || kind === 'boolean');
  const cases: HostileCase[] = [];
  for (const attr of [
    'specversion',
    'id',
    'source',
    'type',
    'subject',
    'time',
    'datacontenttype',
    'dataschema',
    'data_base64',
    'myext',
  ]) {
    for (const [kind, value] of wrong) {
      if (allowed(attr, kind)) continue;
      const body = JSON.stringify({ ...valid, [attr]: value });
      cases.push({ name: `${attr} as ${kind}`, message: { body }, expected: new RegExp(`^${attr}: `) });
    }
    if (attr !== 'myext' && attr !== 'specversion' && attr !== 'data_base64') {
      const body = JSON.stringify({ ...valid, [attr]: '' });
      cases.push({
        name: `${attr} empty`,
        message: { body },
        expected: new RegExp(`^${attr}: (must not be empty|expected)`),
      });
    }
  }
  return cases;
}

function stringRuleCases(): HostileCase[] {
  const rule = /CloudEvents strings must not contain control characters, surrogates or noncharacters/;
  return [
    {
      name: 'NUL escaped in id',
      message: { body: withMembers('"x":1').replace('"evt-1"', '"evt\\u0000"') },
      expected: /^id: contains U\+0000 at index 3/,
    },
    {
      name: 'C1 control in type',
      message: { body: JSON.stringify({ ...valid, type: 'a\u0085b' }) },
      expected: rule,
    },
    {
      name: 'noncharacter in source',
      message: { body: JSON.stringify({ ...valid, source: '/s\uffff' }) },
      expected: rule,
    },
    {
      name: 'DEL in extension',
      message: { body: JSON.stringify({ ...valid, ext: 'a\u007f' }) },
      expected: /^ext: contains U\+007F/,
    },
    {
      name: 'unpaired surrogate escape in id',
      message: { body: withMembers('"x":1').replace('"evt-1"', '"\\ud800"') },
      expected: /unpaired surrogate \\ud800/,
    },
    {
      name: 'unpaired low surrogate in data',
      message: { body: withMembers('"data":{"k":"\\udc00x"}') },
      expected: /unpaired surrogate \\udc00.*\(at data\.k\)/,
    },
    {
      name: 'extension name upper case',
      message: { body: JSON.stringify({ ...valid, myExt: 'x' }) },
      expected: /^myExt: invalid extension attribute name/,
    },
    {
      name: 'extension name 21 characters',
      message: { body: JSON.stringify({ ...valid, abcdefghijklmnopqrstu: 'x' }) },
      expected: /^abcdefghijklmnopqrstu: invalid extension attribute name, expected 1 to 20/,
    },
    {
      name: 'extension name with dash',
      message: { body: JSON.stringify({ ...valid, 'my-ext': 'x' }) },
      expected: /^my-ext: invalid extension attribute name/,
    },
    {
      name: 'extension name empty',
      message: { body: JSON.stringify({ ...valid, '': 'x' }) },
      expected: /^"": invalid extension attribute name/,
    },
    {
      name: 'extension integer over int32',
      message: { body: JSON.stringify({ ...valid, big: 2_147_483_648 }) },
      expected: /^big: expected an integer between -2147483648 and 2147483647, got number 2147483648/,
    },
    {
      name: 'extension fraction',
      message: { body: JSON.stringify({ ...valid, ratio: 1.5 }) },
      expected: /^ratio: expected an integer/,
    },
    {
      name: 'specversion 0.3',
      message: { body: JSON.stringify({ ...valid, specversion: '0.3' }) },
      expected: /^specversion: expected "1.0", got "0.3"/,
    },
    {
      name: 'source not a URI-reference (SDK schema)',
      message: { body: JSON.stringify({ ...valid, source: 'a b' }) },
      expected: /^source: must match format "uri-reference", got "a b"/,
    },
    {
      name: 'dataschema relative (SDK schema)',
      message: { body: JSON.stringify({ ...valid, dataschema: '/rel' }) },
      expected: /^dataschema: must match format "uri"/,
    },
    {
      name: 'time without offset',
      message: { body: JSON.stringify({ ...valid, time: '2026-01-01T00:00:00' }) },
      expected: /^time: expected an RFC 3339 timestamp/,
    },
    {
      name: 'data_base64 not base64',
      message: { body: JSON.stringify({ ...valid, data_base64: '!!!' }) },
      expected: /^data_base64: expected base64 text/,
    },
    {
      name: 'data and data_base64',
      message: { body: JSON.stringify({ ...valid, data: 1, data_base64: 'AA==' }) },
      expected: /^data_base64: must not be present together with data/,
    },
  ];
}

function jsonCases(): HostileCase[] {
  const big = 300 * 1024;
  return [
    { name: 'empty body', message: { body: '' }, expected: /empty input/ },
    { name: 'whitespace body', message: { body: ' \n\t ' }, expected: /empty input/ },
    { name: 'no body', message: { body: undefined }, expected: /^body: the message has no body/ },
    {
      name: 'array body',
      message: { body: '[1]' },
      expected: /^body: expected a CloudEvents JSON object, got an array/,
    },
    { name: 'string body', message: { body: '"x"' }, expected: /got "x"/ },
    {
      name: 'huge data string',
      message: { body: withMembers(`"data":"${'x'.repeat(big)}"`) },
      expected: /^body: \d+ bytes is over the limit of 262144 bytes/,
    },
    {
      name: 'huge id',
      message: { body: bytes(withMembers('"x":1').replace('evt-1', 'i'.repeat(big))) },
      expected: /^body: \d+ bytes is over the limit/,
    },
    {
      name: 'huge host-parsed body',
      message: { body: { ...valid, data: 'é'.repeat(big) } },
      expected: /^body: \d+ bytes is over the limit/,
    },
    {
      name: 'number 1e400 in data',
      message: { body: withMembers('"data":{"n":1e400}') },
      expected: /line 1, column \d+: number 1e400 is out of range \(at data\.n\)/,
    },
    {
      name: 'number -1e400 as extension',
      message: { body: withMembers('"ext":-1e400') },
      expected: /number -1e400 is out of range \(at ext\)/,
    },
    {
      name: 'duplicate id',
      message: { body: withMembers('"id":"other"') },
      expected: /duplicate property "id" \(first at line 1, column 22\)/,
    },
    {
      name: 'duplicate key in data',
      message: { body: withMembers('"data":{"a":1,\n"a":2}') },
      expected: /line 2, column 1: duplicate property "a" \(first at line 1, column 81\) \(at data\.a\)/,
    },
    {
      name: '__proto__ at top level',
      message: { body: withMembers('"__proto__":{"polluted":true}') },
      expected: /property name "__proto__" is not allowed \(prototype pollution\)/,
    },
    {
      name: '__proto__ in data',
      message: { body: withMembers('"data":{"x":[{"__proto__":{"isAdmin":true}}]}') },
      expected: /"__proto__" is not allowed.*\(at data\.x\[0\]\.__proto__\)/,
    },
    {
      name: '__proto__ host-parsed',
      message: { body: JSON.parse(withMembers('"data":{"__proto__":{"a":1}}')) as unknown },
      expected: /^body: property name "__proto__" is not allowed/,
    },
    {
      name: 'constructor.prototype extension',
      message: { body: withMembers('"constructor":{"prototype":{"a":1}}') },
      expected: /^constructor: expected a string, boolean or integer extension value, got an object/,
    },
    {
      name: 'prototype extension object',
      message: { body: withMembers('"prototype":{"a":1}') },
      expected: /^prototype: expected a string, boolean or integer/,
    },
    {
      name: 'BOM twice',
      message: { body: bytes([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], withMembers('"x":1')) },
      expected: /^invalid JSON at line 1, column 1: unexpected "\\ufeff"$/,
    },
    {
      name: 'BOM between tokens',
      message: { body: withMembers('"x":\ufeff1') },
      expected: /unexpected "\\ufeff", expected a JSON value/,
    },
    {
      name: 'UTF-16LE with BOM',
      message: { body: Buffer.from(`\ufeff${withMembers('"x":1')}`, 'utf16le') },
      expected: /^body: invalid UTF-8 at byte 0 \(0xff 0xfe/,
    },
    {
      name: 'UTF-16BE BOM',
      message: { body: bytes([0xfe, 0xff, 0x00, 0x7b]) },
      expected: /^body: invalid UTF-8 at byte 0 \(0xfe/,
    },
    {
      name: 'Latin-1 é',
      message: { body: bytes(`${head},"data":"caf`, [0xe9], '"}') },
      expected: new RegExp(`^body: invalid UTF-8 at byte ${head.length + 12} \\(0xe9 0x22 0x7d\\)`),
    },
    {
      name: 'lone continuation byte',
      message: { body: bytes('{', [0x80], '}') },
      expected: /invalid UTF-8 at byte 1 \(0x80/,
    },
    {
      name: 'overlong slash',
      message: { body: bytes('{"a":"', [0xc0, 0xaf], '"}') },
      expected: /invalid UTF-8 at byte 6 \(0xc0 0xaf/,
    },
    {
      name: 'encoded surrogate',
      message: { body: bytes('{"a":"', [0xed, 0xa0, 0x80], '"}') },
      expected: /invalid UTF-8 at byte 6 \(0xed 0xa0 0x80/,
    },
    {
      name: 'above U+10FFFF',
      message: { body: bytes('{"a":"', [0xf4, 0x90, 0x80, 0x80], '"}') },
      expected: /invalid UTF-8 at byte 6/,
    },
    {
      name: 'truncated sequence at end',
      message: { body: bytes('{"a":"', [0xe2, 0x82]) },
      expected: /invalid UTF-8 at byte 6 \(0xe2 0x82\)/,
    },
    {
      name: 'raw NUL in a string',
      message: { body: withMembers('"data":"a\u0000b"') },
      expected: new RegExp(
        `column ${withMembers('"data":"a').length}: control character in string \\(escape it\\)`,
      ),
    },
    {
      name: 'NUL between tokens',
      message: { body: withMembers('"x":1\u0000') },
      expected: /^invalid JSON at line 1, column 78: unexpected "\\u0000"$/,
    },
    {
      name: 'NUL body',
      message: { body: bytes([0, 0, 0, 0]) },
      expected: /line 1, column 1: unexpected "\\u0000"/,
    },
    {
      name: 'comment',
      message: { body: `/* hi */${withMembers('"x":1')}` },
      expected: /line 1, column 1: comments are not allowed in JSON/,
    },
    {
      name: 'trailing comma',
      message: { body: withMembers('"x":1,') },
      expected: /unexpected "}", expected a property name in double quotes/,
    },
    {
      name: 'single quotes',
      message: { body: withMembers("'x':1") },
      expected: /unexpected "'", expected a property name in double quotes/,
    },
    {
      name: 'NaN',
      message: { body: withMembers('"x":NaN') },
      expected: /unexpected "N", expected a JSON value/,
    },
    {
      name: 'leading zero',
      message: { body: withMembers('"x":01') },
      expected: /unexpected "1", expected ',' or '}'|expected ',' or '}'/,
    },
    {
      name: 'two documents',
      message: { body: `${withMembers('"x":1')}{}` },
      expected: /unexpected "{" after the end of the JSON value/,
    },
    {
      name: 'truncated',
      message: { body: withMembers('"x":1').slice(0, 40) },
      expected: /unexpected end of input|unterminated string/,
    },
    {
      name: 'bad unicode escape',
      message: { body: withMembers('"x":"\\u12G4"') },
      expected: /bad \\u escape in string, expected 4 hex digits/,
    },
  ];
}

function binaryCases(): HostileCase[] {
  const props = {
    cloudEvents_specversion: '1.0',
    cloudEvents_id: 'b-1',
    cloudEvents_source: '/bin',
    cloudEvents_type: 'demo.bin',
  };
  const json = 'application/json';
  const binary = (message: Partial<EventMessage>): EventMessage => ({
    body: bytes('{"n":1}'),
    contentType: json,
    applicationProperties: props,
    ...message,
  });
  const without = (name: string): Record<string, unknown> =>
    Object.fromEntries(Object.entries(props).filter(([k]) => k !== name));
  return [
    {
      name: 'binary: no id',
      message: binary({ applicationProperties: without('cloudEvents_id') }),
      expected:
        /^binary-mode event \(cloudEvents_\* application properties\): id: missing required attribute/,
    },
    {
      name: 'binary: no specversion',
      message: binary({ applicationProperties: without('cloudEvents_specversion') }),
      expected: /specversion: missing required attribute/,
    },
    {
      name: 'binary: specversion 2.0',
      message: binary({ applicationProperties: { ...props, cloudEvents_specversion: '2.0' } }),
      expected: /specversion: expected "1.0", got "2.0"/,
    },
    {
      name: 'binary: id as number',
      message: binary({ applicationProperties: { ...props, cloudEvents_id: 42 } }),
      expected: /id: expected a non-empty string, got number 42/,
    },
    {
      name: 'binary: mixed separators',
      message: binary({ applicationProperties: { ...without('cloudEvents_id'), 'cloudEvents:id': 'x' } }),
      expected: /both cloudEvents_ and cloudEvents: prefixes are used/,
    },
    {
      name: 'binary: upper-case attribute',
      message: binary({ applicationProperties: { ...props, cloudEvents_Subject: 'x' } }),
      expected:
        /^application property "cloudEvents_Subject": the attribute name after the prefix must be 1 to 20 lower-case/,
    },
    {
      name: 'binary: empty attribute name',
      message: binary({ applicationProperties: { ...props, cloudEvents_: 'x' } }),
      expected: /^application property "cloudEvents_": the attribute name/,
    },
    {
      name: 'binary: datacontenttype property',
      message: binary({ applicationProperties: { ...props, cloudEvents_datacontenttype: json } }),
      expected: /carries datacontenttype in the AMQP content-type property/,
    },
    {
      name: 'binary: data property',
      message: binary({ applicationProperties: { ...props, cloudEvents_data: '{}' } }),
      expected: /carries data in the message body/,
    },
    {
      name: 'binary: object property value',
      message: binary({ applicationProperties: { ...props, cloudEvents_ext: { a: 1 } } }),
      expected: /expected a string, boolean, integer, timestamp or binary value, got an object/,
    },
    {
      name: 'binary: invalid Date',
      message: binary({ applicationProperties: { ...props, cloudEvents_time: new Date(Number.NaN) } }),
      expected: /"cloudEvents_time": the timestamp is not a valid date/,
    },
    {
      name: 'binary: time text without offset',
      message: binary({ applicationProperties: { ...props, cloudEvents_time: '2026-01-01T00:00:00' } }),
      expected: /time: expected an RFC 3339 timestamp/,
    },
    {
      name: 'binary: invalid JSON body',
      message: binary({ body: bytes('{"n":') }),
      expected:
        /^data \(the message body\): invalid JSON at line 1, column 6: unexpected end of input, expected a JSON value/,
    },
    {
      name: 'binary: deep JSON body',
      message: binary({ body: bytes(nested(5_000, 'array')) }),
      expected: /^data \(the message body\): .*nesting level 64 is deeper than the limit of 63/,
    },
    {
      name: 'binary: deep host-parsed body',
      message: binary({ body: JSON.parse(nested(100_000, 'object')) as unknown }),
      expected: /^body: nesting level 64 is deeper than the limit of 63/,
    },
    {
      name: 'binary: invalid UTF-8 text body',
      message: binary({ body: bytes([0x61, 0xff]), contentType: 'text/plain' }),
      expected: /^body: invalid UTF-8 at byte 1/,
    },
    {
      name: 'binary: latin-1 charset',
      message: binary({ contentType: 'text/plain; charset=iso-8859-1' }),
      expected: /^contentType: charset "iso-8859-1" is not supported, events must be UTF-8/,
    },
    {
      name: 'binary: huge body',
      message: binary({ body: new Uint8Array(300 * 1024), contentType: 'application/octet-stream' }),
      expected: /^body: 307200 bytes is over the limit of 262144 bytes/,
    },
    {
      name: 'binary: extension too long',
      message: binary({ applicationProperties: { ...props, cloudEvents_abcdefghijklmnopqrstu: 'x' } }),
      expected: /attribute name after the prefix must be 1 to 20/,
    },
    {
      name: 'binary: NUL in id',
      message: binary({ applicationProperties: { ...props, cloudEvents_id: 'a\u0000' } }),
      expected: /id: contains U\+0000/,
    },
    {
      name: 'content type garbage',
      message: { body: withMembers('"x":1'), contentType: 'not a type' },
      expected: /^contentType: "not a type" is not a media type/,
    },
    {
      name: 'content type text/plain, no properties',
      message: { body: withMembers('"x":1'), contentType: 'text/plain' },
      expected: /^contentType: "text\/plain" is not a CloudEvent: send application\/cloudevents\+json/,
    },
    {
      name: 'content type batch',
      message: { body: `[${withMembers('"x":1')}]`, contentType: 'application/cloudevents-batch+json' },
      expected: /is a CloudEvents format the dispatcher does not read/,
    },
    {
      name: 'content type avro',
      message: { body: bytes([1, 2]), contentType: 'application/cloudevents+avro' },
      expected: /is a CloudEvents format the dispatcher does not read/,
    },
  ];
}

/**
 * Attribute values over their bound (MAX_ATTRIBUTE_LENGTH) and values that are not well-formed UTF-16, in each
 * form a body arrives in: the chaos run saw a 300 KB id and a lone-surrogate id loop when the host had parsed
 * the body.
 */
function attributeBoundCases(): HostileCase[] {
  const over = (name: string, limit: number): RegExp =>
    new RegExp(`^${name}: is ${limit + 1} characters long, over the limit of ${limit} for this attribute`);
  const longId = 'i'.repeat(300_000);
  return [
    {
      name: '300 KB id, bytes',
      message: { body: bytes(JSON.stringify({ ...valid, id: longId })) },
      expected: /^id: is 300000 characters long, over the limit of 256/,
      maxEventBytes: 1024 * 1024,
    },
    {
      name: '300 KB id, host-parsed',
      message: { body: { ...valid, id: longId } },
      expected: /^id: is 300000 characters long, over the limit of 256/,
      maxEventBytes: 1024 * 1024,
    },
    { name: 'id one over', message: { body: { ...valid, id: 'i'.repeat(257) } }, expected: over('id', 256) },
    {
      // An extension named after an Object.prototype member still has the extension bound.
      name: 'extension named constructor, one over',
      message: { body: { ...valid, constructor: 'c'.repeat(4097) } },
      expected: over('constructor', 4096),
    },
    {
      name: 'type one over',
      message: { body: { ...valid, type: 't'.repeat(257) } },
      expected: over('type', 256),
    },
    {
      name: 'source one over',
      message: { body: { ...valid, source: `/${'s'.repeat(1024)}` } },
      expected: over('source', 1024),
    },
    {
      name: 'subject one over',
      message: { body: { ...valid, subject: 's'.repeat(1025) } },
      expected: over('subject', 1024),
    },
    {
      name: 'extension string one over',
      message: { body: { ...valid, ext: 'e'.repeat(4097) } },
      expected: over('ext', 4096),
    },
    {
      name: 'binary-mode id over its bound',
      message: {
        body: bytes('{}'),
        contentType: 'application/json',
        applicationProperties: {
          cloudEvents_specversion: '1.0',
          cloudEvents_id: 'i'.repeat(1000),
          cloudEvents_source: '/s',
          cloudEvents_type: 't',
        },
      },
      expected: /^binary-mode event .*id: is 1000 characters long, over the limit of 256/,
    },
    {
      name: 'lone surrogate id, host-parsed',
      message: { body: { ...valid, id: '\ud800' } },
      expected: /unpaired surrogate/,
    },
    {
      name: 'lone surrogate in a property name, host-parsed',
      message: { body: { ...valid, data: { ['k\udc00']: 1 } } },
      expected: /^body: property name "k\\udc00" contains an unpaired surrogate, .* \(at data\)$/,
    },
    {
      name: 'lone surrogate extension name, host-parsed',
      message: { body: { ...valid, ['x\ud800']: 1 } },
      expected: /unpaired surrogate/,
    },
  ];
}

/** Every case in the corpus, each with the specific reason it must be rejected with. */
export function hostileCorpus(): HostileCase[] {
  return [
    ...deepCases(),
    ...attributeTypeCases(),
    ...stringRuleCases(),
    ...attributeBoundCases(),
    ...jsonCases(),
    ...binaryCases(),
  ];
}
