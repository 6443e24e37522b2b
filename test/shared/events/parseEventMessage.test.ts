import { InvalidEventError } from '../../../shared/errors/dispatchErrors';
import { parseEventMessage } from '../../../shared/events/parseEventMessage';

const limits = { maxEventBytes: 64 * 1024 };
const valid = { specversion: '1.0', id: 'evt-1', source: '/tests', type: 'demo.hello', data: { n: 1 } };
const props = {
  cloudEvents_specversion: '1.0',
  cloudEvents_id: 'b-1',
  cloudEvents_source: '/bin',
  cloudEvents_type: 'demo.bin',
};

describe('parseEventMessage: structured mode', () => {
  it('reads application/cloudevents+json, application/json and no content type alike', () => {
    const text = JSON.stringify(valid);
    for (const contentType of [
      'application/cloudevents+json',
      'application/cloudevents+json; charset=UTF-8',
      'application/json',
      undefined,
    ]) {
      const parsed = parseEventMessage({ body: Buffer.from(text), contentType }, limits);
      expect(parsed).toEqual({ event: valid, json: text, sizeBytes: text.length, mode: 'structured' });
    }
  });

  it('ignores cloudEvents_* properties when the content type says structured', () => {
    const parsed = parseEventMessage(
      {
        body: JSON.stringify(valid),
        contentType: 'application/cloudevents+json',
        applicationProperties: { ...props, cloudEvents_id: 'ignored' },
      },
      limits,
    );
    expect(parsed.event.id).toBe('evt-1');
  });

  it('removes one leading UTF-8 byte order mark (RFC 8259 allows ignoring it) and keeps the rest exact', () => {
    const text = JSON.stringify(valid);
    const parsed = parseEventMessage(
      { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]) },
      limits,
    );
    expect(parsed.json).toBe(text);
  });

  it('keeps multi-byte UTF-8 intact and measures it in bytes', () => {
    const text = JSON.stringify({ ...valid, subject: 'café ☕ 𝄞' });
    const parsed = parseEventMessage({ body: Buffer.from(text) }, limits);
    expect(parsed.event.subject).toBe('café ☕ 𝄞');
    expect(parsed.sizeBytes).toBe(Buffer.byteLength(text));
  });

  it('accepts extension attributes of every CloudEvents JSON type, and data keys named constructor', () => {
    const event = {
      ...valid,
      traceparent: '00-x',
      priority: 5,
      urgent: false,
      // Names of the SDK CloudEvent's own methods are valid extension names too.
      validate: 'yes',
      emit: 'no',
      data: { constructor: 'Ada' },
    };
    expect(parseEventMessage({ body: JSON.stringify(event) }, limits).event).toEqual(event);
  });

  it('honours a smaller depth limit', () => {
    const body = JSON.stringify({ ...valid, data: { a: { b: 1 } } });
    expect(parseEventMessage({ body }, { ...limits, maxDepth: 3 }).event.data).toEqual({ a: { b: 1 } });
    expect(() => parseEventMessage({ body }, { ...limits, maxDepth: 2 })).toThrow(
      'invalid JSON at line 1, column 85: nesting level 3 is deeper than the limit of 2 (at data.a)',
    );
  });
});

describe('parseEventMessage: binary mode (CloudEvents AMQP binding)', () => {
  it('maps cloudEvents_ properties to attributes, content type to datacontenttype and a JSON body to data', () => {
    const parsed = parseEventMessage(
      {
        body: Buffer.from('{ "n": 1 }'),
        contentType: 'application/json',
        applicationProperties: {
          ...props,
          cloudEvents_traceparent: '00-x',
          cloudEvents_retries: 2,
          other: 'x',
        },
      },
      limits,
    );
    expect(parsed.mode).toBe('binary');
    expect(parsed.event).toEqual({
      specversion: '1.0',
      id: 'b-1',
      source: '/bin',
      type: 'demo.bin',
      traceparent: '00-x',
      retries: 2,
      datacontenttype: 'application/json',
      data: { n: 1 },
    });
    // data keeps the sender's text; the attributes are written in the structured JSON format.
    expect(parsed.json).toBe(
      '{"specversion":"1.0","id":"b-1","source":"/bin","type":"demo.bin","traceparent":"00-x","retries":2,"datacontenttype":"application/json","data":{ "n": 1 }}',
    );
    expect(JSON.parse(parsed.json)).toEqual(parsed.event);
    expect(parsed.sizeBytes).toBe(Buffer.byteLength(parsed.json));
  });

  it('accepts the older cloudEvents: separator and AMQP timestamps for time', () => {
    const colon = Object.fromEntries(Object.entries(props).map(([k, v]) => [k.replace('_', ':'), v]));
    const parsed = parseEventMessage(
      {
        body: 'hello',
        contentType: 'text/plain; charset=utf-8',
        applicationProperties: { ...colon, 'cloudEvents:time': new Date(Date.UTC(2026, 0, 31, 12)) },
      },
      limits,
    );
    expect(parsed.event.time).toBe('2026-01-31T12:00:00.000Z');
    expect(parsed.event.data).toBe('hello');
    expect(JSON.parse(parsed.json)).toMatchObject({ data: 'hello', time: '2026-01-31T12:00:00.000Z' });
  });

  it('carries opaque bytes as data_base64 and an empty body as no data', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    const parsed = parseEventMessage(
      { body: bytes, contentType: 'application/octet-stream', applicationProperties: props },
      limits,
    );
    expect(parsed.event.data_base64).toBe(bytes.toString('base64'));
    expect(JSON.parse(parsed.json)).toMatchObject({ data_base64: 'AAEC/w==' });
    const empty = parseEventMessage({ body: Buffer.alloc(0), applicationProperties: props }, limits);
    expect(empty.json).toBe('{"specversion":"1.0","id":"b-1","source":"/bin","type":"demo.bin"}');
  });

  it('takes a body the host already parsed as JSON data', () => {
    const parsed = parseEventMessage({ body: { n: [1, 2] }, applicationProperties: props }, limits);
    expect(JSON.parse(parsed.json)).toMatchObject({ id: 'b-1', data: { n: [1, 2] } });
  });

  it('counts the properties and body together against the size limit', () => {
    const body = Buffer.alloc(900, 0x61);
    expect(() =>
      parseEventMessage(
        { body, contentType: 'text/plain', applicationProperties: props },
        { maxEventBytes: 950 },
      ),
    ).toThrow(/^body: \d+ bytes is over the limit of 950 bytes/);
  });
});

describe('parseEventMessage: errors', () => {
  it('are InvalidEventError with a path', () => {
    try {
      parseEventMessage({ body: '{"a":1', contentType: 'application/json' }, limits);
      throw new Error('expected a rejection');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidEventError);
      expect((err as InvalidEventError).path).toBe('json@1:7');
    }
  });
});
