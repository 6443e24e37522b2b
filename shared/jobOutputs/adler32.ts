/**
 * Adler-32 (RFC 1950) of `bytes`: the output epilogue's awk computes the same sum with arithmetic alone, so any
 * awk (busybox, mawk, gawk) can vouch for the output it printed.
 */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return b * 65536 + a;
}
