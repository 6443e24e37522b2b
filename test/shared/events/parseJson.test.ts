import { parseJson } from '../../../shared/events/parseJson';
import { InvalidEventError } from '../../../shared/errors/dispatchErrors';
import { parseEventMessage } from '../../../shared/events/parseEventMessage';

function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sample =
  '{"specversion":"1.0","id":"evt-1","source":"/tests","type":"demo.hello","time":"2026-01-31T12:00:00Z",' +
  '"data":{"list":[1,-2.5e3,true,false,null,"t\\u00e9\\n",{"k":[]}],"s":"x\\"y"}}';
const alphabet = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\',
  '0',
  '1',
  'e',
  '-',
  '.',
  ' ',
  '\n',
  'u',
  't',
  'n',
  '\u0000',
  '\ufeff',
  '/',
  '*',
];

/** Random edits of a valid event: deletions, insertions, replacements, truncation. */
function mutations(count: number, seed: number): string[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let text = sample;
    for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
      const at = Math.floor(next() * text.length);
      const kind = Math.floor(next() * 4);
      if (kind === 0) text = text.slice(0, at) + text.slice(at + 1);
      else if (kind === 1) text = text.slice(0, at) + pick(alphabet) + text.slice(at);
      else if (kind === 2) text = text.slice(0, at) + pick(alphabet) + text.slice(at + 1);
      else text = text.slice(0, at);
    }
    out.push(text);
  }
  return out;
}

describe('parseJson', () => {
  it('keeps the position messages the dispatcher documents', () => {
    expect(parseJson('{"specversion": "1.0",\n "id": }')).toMatchObject({
      ok: false,
      message: 'invalid JSON at line 2, column 8: unexpected "}", expected a JSON value',
      line: 2,
      column: 8,
      offset: 30,
    });
    expect(parseJson('{"id": 1')).toMatchObject({
      message: "invalid JSON at line 1, column 9: unexpected end of input, expected ',' or '}'",
    });
    expect(parseJson('{"a": [1 2]}')).toMatchObject({
      message: "invalid JSON at line 1, column 10: unexpected \"2\", expected ',' or ']'",
    });
    expect(parseJson('{"a" 1}')).toMatchObject({
      message: 'invalid JSON at line 1, column 6: unexpected "1", expected \':\' after the property name',
    });
    expect(parseJson('{a: 1}')).toMatchObject({
      message: 'invalid JSON at line 1, column 2: unexpected "a", expected a property name in double quotes',
    });
    expect(parseJson('[1.]')).toMatchObject({
      message: 'invalid JSON at line 1, column 2: incomplete number "1."',
    });
    expect(parseJson('"abc')).toMatchObject({
      message: 'invalid JSON at line 1, column 1: unterminated string',
    });
  });

  it('accepts exactly what JSON.parse accepts on 3,000 mutated events, with the same value', () => {
    let accepted = 0;
    for (const text of mutations(3_000, 7)) {
      let expected: unknown;
      let native = true;
      try {
        expected = JSON.parse(text);
      } catch {
        native = false;
      }
      const result = parseJson(text);
      if (result.ok) {
        // Stricter only where documented: duplicate keys, unpaired surrogates, numbers out of range.
        expect(native).toBe(true);
        expect(result.value).toEqual(expected);
        accepted++;
      } else if (native) {
        expect(result.message).toMatch(/duplicate property|unpaired surrogate|out of range|__proto__/);
      } else {
        expect(result.message).toMatch(/^invalid JSON at line \d+, column \d+: /);
      }
    }
    expect(accepted).toBeGreaterThan(50);
  });

  it('turns every mutated event into a parsed event or an InvalidEventError, nothing else', () => {
    const seen = new Set<string>();
    for (const text of mutations(3_000, 99)) {
      for (const body of [text, Buffer.from(text, 'utf8')]) {
        try {
          const parsed = parseEventMessage({ body }, { maxEventBytes: 4096 });
          expect(JSON.parse(parsed.json)).toEqual(structuredClone(parsed.event));
          seen.add('ok');
        } catch (err) {
          if (!(err instanceof InvalidEventError)) throw err;
          seen.add(err.message.replace(/ at line \d+, column \d+/, '').slice(0, 30));
        }
      }
    }
    expect(seen.has('ok')).toBe(true);
    expect(seen.size).toBeGreaterThan(10);
  });
});
