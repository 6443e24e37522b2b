import { isUtf8 } from 'node:buffer';
import { InvalidEventError } from '../errors/dispatchErrors';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes a message body as UTF-8 and rejects malformed sequences instead of replacing them with U+FFFD:
 * a replaced character would silently change the event that a job receives. TextDecoder's fatal mode does
 * the check; it does not say WHERE, so on failure the first bad byte is located for the error message.
 */
export function decodeUtf8(bytes: Uint8Array, what = 'body'): string {
  if (isUtf8(bytes)) return decoder.decode(bytes);
  const offset = firstInvalidUtf8Offset(bytes);
  const shown = Array.from(bytes.subarray(offset, offset + 4), (b) => b.toString(16).padStart(2, '0'));
  throw new InvalidEventError(
    `${what}: invalid UTF-8 at byte ${offset} (0x${shown.join(' 0x')}); the body must be UTF-8 encoded`,
    what,
  );
}

/**
 * Byte offset of the first ill-formed sequence per the Unicode "well-formed UTF-8" table (no overlongs,
 * no surrogates, nothing above U+10FFFF). Only runs after isUtf8 said no, to name the position.
 */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b < 0x80) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      const min = k === 1 ? low : 0x80;
      const max = k === 1 ? high : 0xbf;
      if (next === undefined || next < min || next > max) return i;
    }
    i += length;
  }
  return bytes.length;
}
