import { InvalidEventError } from '../../../shared/errors/dispatchErrors';
import { parseEventMessage } from '../../../shared/events/parseEventMessage';
import { hostileCorpus, valid } from './hostileCorpus';

const limits = { maxEventBytes: 256 * 1024 };

function rejection(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('hostile and malformed messages', () => {
  const corpus = hostileCorpus();

  it('has a case for every class of hostile input', () => {
    expect(corpus.length).toBeGreaterThan(150);
  });

  it.each(corpus.map((c) => [c.name, c] as const))('%s: InvalidEventError with the reason', (_name, c) => {
    const err = rejection(() =>
      parseEventMessage(c.message, { maxEventBytes: c.maxEventBytes ?? limits.maxEventBytes }),
    );
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as InvalidEventError).message).toMatch(c.expected);
    // Bounded, so it fits DeadLetterErrorDescription (4,096 characters) whatever the input.
    expect((err as InvalidEventError).message.length).toBeLessThan(1000);
    expect((err as InvalidEventError).path).toBeTruthy();
  });

  // Rejected at level 65 (the message's column says where the scan stopped): no deep recursion anywhere.
  it('rejects 100,000 levels during the scan, at the first level over the limit', () => {
    const text = `{"specversion":"1.0","id":"x","source":"/s","type":"t","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const err = rejection(() =>
      parseEventMessage({ body: Buffer.from(text) }, { maxEventBytes: 1024 * 1024 }),
    );
    expect(err).toBeInstanceOf(InvalidEventError);
    const column = text.indexOf('[') + 64; // the data array is level 2: its 64th bracket is level 65
    expect((err as Error).message).toBe(
      `invalid JSON at line 1, column ${column}: nesting level 65 is deeper than the limit of 64 (at data${'[0]'.repeat(16)}…${'[0]'.repeat(17)})`,
    );
  });

  it('accepts an event nested to the limit, and the later steps (stringify, structured clone) work on it', () => {
    const levels = 63; // the event object is level 1
    const text = JSON.stringify({
      ...valid,
      data: JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`) as unknown,
    });
    const parsed = parseEventMessage({ body: Buffer.from(text) }, limits);
    expect(parsed.json).toBe(text);
    expect(JSON.stringify(structuredClone(parsed))).toContain('"data":[[[');
    const deeper = JSON.stringify({
      ...valid,
      data: JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`) as unknown,
    });
    expect(rejection(() => parseEventMessage({ body: deeper }, limits))).toBeInstanceOf(InvalidEventError);
  });
});
