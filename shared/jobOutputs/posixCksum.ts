/** CRC-32 table of the POSIX `cksum` polynomial (0x04C11DB7, most significant bit first). */
const table = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/**
 * The checksum POSIX `cksum` prints for `bytes`: the CRC over the data, then over the length (least significant
 * byte first, no trailing zero bytes), complemented. Every `cksum` (coreutils, busybox) agrees on it, so a job
 * image's own tool can vouch for the output it printed.
 */
export function posixCksum(bytes: Uint8Array): number {
  let crc = 0;
  const step = (byte: number): void => {
    crc = ((crc << 8) ^ table[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  };
  for (const byte of bytes) step(byte);
  for (let n = bytes.length; n > 0; n = Math.floor(n / 256)) step(n & 0xff);
  return ~crc >>> 0;
}
