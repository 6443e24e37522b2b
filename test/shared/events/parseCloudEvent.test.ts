import { InvalidEventError } from '../../../shared/errors/dispatchErrors';
import { parseCloudEvent } from '../../../shared/events/parseCloudEvent';

const limit = { maxEventBytes: 1024 };
const valid = { specversion: '1.0', id: 'evt-1', source: '/tests', type: 'demo.hello', data: { n: 1 } };

function invalid(body: unknown, options = limit): InvalidEventError {
  try {
    parseCloudEvent(body, options);
  } catch (err) {
    if (err instanceof InvalidEventError) return err;
    throw err;
  }
  throw new Error('expected InvalidEventError');
}

describe('parseCloudEvent', () => {
  it('accepts the body as parsed JSON, as a string and as bytes', () => {
    const text = JSON.stringify(valid);
    for (const body of [valid, text, Buffer.from(text), new Uint8Array(Buffer.from(text))]) {
      const parsed = parseCloudEvent(body, limit);
      expect(parsed.event).toEqual(valid);
      expect(parsed.json).toBe(text);
      expect(parsed.sizeBytes).toBe(Buffer.byteLength(text));
    }
  });

  it('keeps the raw text unchanged (formatting, extensions, data_base64)', () => {
    const text =
      '{ "specversion": "1.0", "id": "a", "source": "s", "type": "t", "traceparent": "00-x", "data_base64": "AAE=" }\n';
    const parsed = parseCloudEvent(text, limit);
    expect(parsed.json).toBe(text);
    expect(parsed.event.traceparent).toBe('00-x');
  });

  it('reports invalid JSON with line and column', () => {
    const err = invalid('{\n  "specversion": "1.0",\n  "id": x\n}');
    expect(err.message).toBe('invalid JSON at line 3, column 9: unexpected "x", expected a JSON value');
    expect(err.path).toBe('json@3:9');
    expect(invalid('{"a": 1').message).toBe(
      "invalid JSON at line 1, column 8: unexpected end of input, expected ',' or '}'",
    );
    expect(invalid('{"a": "x\\q"}').message).toMatch(/line 1, column 9: bad escape "\\\\q" in string/);
    expect(invalid('{"a": 1} x').message).toMatch(
      /line 1, column 10: unexpected "x" after the end of the JSON value/,
    );
    expect(invalid('').message).toMatch(/empty input/);
  });

  it('names every missing, empty or mistyped required attribute', () => {
    const err = invalid({ specversion: '0.3', id: '', type: 7, data: 1 });
    expect(err.message).toBe(
      'specversion: expected "1.0", got "0.3"; id: must not be empty; source: missing required attribute, expected a non-empty string; type: expected a non-empty string, got number 7',
    );
    expect(err.path).toBe('specversion');
    expect(invalid({ ...valid, specversion: undefined }).message).toBe(
      'specversion: missing required attribute, expected "1.0"',
    );
    expect(invalid({ ...valid, subject: 5 }).message).toBe('subject: expected a string, got number 5');
  });

  it('validates time as RFC 3339', () => {
    expect(
      parseCloudEvent({ ...valid, time: '2026-11-21T21:00:00.123+01:00' }, limit).event.time,
    ).toBeDefined();
    expect(parseCloudEvent({ ...valid, time: '2024-02-29T00:00:00Z' }, limit).event.time).toBeDefined();
    for (const time of [
      '2026-11-21',
      '2026-11-21 21:00:00Z',
      '2026-13-01T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-11-21T21:00:00',
      12,
    ]) {
      const err = invalid({ ...valid, time });
      expect(err.path).toBe('time');
      expect(err.message).toMatch(/^time: expected an RFC 3339 timestamp/);
    }
  });

  it('rejects bodies that are not objects', () => {
    expect(invalid('[1,2]').message).toBe('body: expected a CloudEvents JSON object, got an array');
    expect(invalid(42).message).toBe('body: expected a CloudEvents JSON object, got number 42');
    expect(invalid(undefined).message).toMatch(/^body: the message has no body/);
  });

  it('rejects bodies over the limit, measured in UTF-8 bytes, saying size and limit', () => {
    const big = { ...valid, data: 'é'.repeat(600) }; // 600 chars, 1200 bytes
    const err = invalid(big);
    const size = Buffer.byteLength(JSON.stringify(big));
    expect(err.message).toBe(
      `body: ${size} bytes is over the limit of 1024 bytes (DISPATCH_MAX_EVENT_BYTES)`,
    );
    expect(err.path).toBe('body');
    // Oversize text is rejected before parsing, even when it is not JSON at all.
    expect(invalid('x'.repeat(2000)).message).toMatch(/^body: 2000 bytes is over the limit/);
  });
});
