import { isUtf8 } from 'node:buffer';
import { InvalidEventError } from '../../../shared/errors/dispatchErrors';
import { decodeUtf8 } from '../../../shared/events/decodeUtf8';

/** Small deterministic PRNG (mulberry32) so a failure can be reproduced. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('decodeUtf8', () => {
  it('decodes valid UTF-8 exactly like Buffer', () => {
    const text = 'a é ☕ 𝄞 \u0000';
    expect(decodeUtf8(Buffer.from(text))).toBe(text);
  });

  it('agrees with TextDecoder on 5,000 random byte strings and names the first bad byte', () => {
    const next = random(11);
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (let n = 0; n < 5_000; n++) {
      const bytes = Buffer.from(
        Array.from({ length: 1 + Math.floor(next() * 12) }, () => Math.floor(next() * 256)),
      );
      let expectedText: string | undefined;
      try {
        expectedText = strict.decode(bytes);
      } catch {
        expectedText = undefined;
      }
      if (expectedText !== undefined) {
        expect(decodeUtf8(bytes)).toBe(expectedText);
        continue;
      }
      let err: unknown;
      try {
        decodeUtf8(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidEventError);
      const offset = Number(/at byte (\d+)/.exec((err as Error).message)?.[1]);
      // Everything before the named byte is valid; the sequence starting there is not.
      expect(isUtf8(bytes.subarray(0, offset))).toBe(true);
      expect(offset).toBeLessThan(bytes.length);
    }
  });
});
