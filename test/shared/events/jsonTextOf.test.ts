import { jsonTextOf } from '../../../shared/events/jsonTextOf';

describe('jsonTextOf', () => {
  it('writes what JSON.stringify writes for parsed JSON', () => {
    const samples = [
      { a: [1, 'two', { three: null }, [], {}], 'b"c': true, d: -0.5e-7, e: 'é\u2028\ud800' },
      [],
      'text',
      42,
      null,
    ];
    for (const sample of samples) expect(jsonTextOf(sample)).toBe(JSON.stringify(sample));
  });

  it('writes nesting far deeper than JSON.stringify can', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { k: deep };
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    const text = jsonTextOf(deep);
    expect(text.length).toBeGreaterThan(300_000);
    expect(text.endsWith('1' + '}]'.repeat(50_000))).toBe(true);
    expect(text.startsWith('[{"k":[{"k":')).toBe(true);
  });
});
