import { adler32 } from '../../../shared/jobOutputs/adler32';

describe('adler32', () => {
  it('gives the RFC 1950 values', () => {
    expect(adler32(Buffer.alloc(0))).toBe(1);
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
    // 0xff bytes make `a` wrap many times: the modulo is applied at every byte.
    expect(adler32(Buffer.alloc(70_000, 0xff))).toBe(0x2a286e81);
  });
});
