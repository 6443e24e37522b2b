import { formatIsoDuration, parseIsoDuration, tryParseIsoDuration } from '../../../shared/policy/isoDuration';

describe('parseIsoDuration', () => {
  it.each([
    ['PT30S', 30_000],
    ['PT5M', 300_000],
    ['PT1H', 3_600_000],
    ['P1D', 86_400_000],
    ['P1DT12H', 129_600_000],
    ['P2W', 1_209_600_000],
    ['PT1H30M15S', 5_415_000],
    ['PT0.5S', 500],
    ['PT1,5S', 1500],
    ['pt10m', 600_000],
    ['P2W1D', 1_296_000_000],
    ['PT0.001S', 1],
    [' PT1M ', 60_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each([
    '',
    'P',
    'PT',
    'P1DT',
    '30S',
    'PT-5S',
    'PT5X',
    '1h',
    'P1S',
    'PTS',
    // Accepted by tinyduration's unanchored pattern or by the earlier hand-written one; not ISO-8601 or signed.
    'PT5SX',
    'xP1D',
    'P1.5D',
    'PT1.5H30M',
    '-PT5S',
    '+PT5S',
  ])('rejects %j with a message', (text) => {
    const result = tryParseIsoDuration(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/expected an ISO-8601 duration/);
  });

  it('rejects years and months, saying why', () => {
    for (const text of ['P1Y', 'P2M', 'P1Y2M3D']) {
      const result = tryParseIsoDuration(text);
      expect(result).toEqual({
        ok: false,
        message: expect.stringContaining('without years or months') as unknown,
      });
    }
    // An M after T is minutes and fine.
    expect(parseIsoDuration('PT2M')).toBe(120_000);
  });

  it('rejects non-strings', () => {
    expect(tryParseIsoDuration(30)).toEqual({
      ok: false,
      message: expect.stringContaining('got number 30') as unknown,
    });
    expect(() => parseIsoDuration('abc')).toThrow(RangeError);
  });

  it('formats durations back', () => {
    expect(formatIsoDuration(5_415_000)).toBe('PT1H30M15S');
    expect(formatIsoDuration(86_400_000)).toBe('P1D');
    expect(formatIsoDuration(0)).toBe('PT0S');
  });
});
