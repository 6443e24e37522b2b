import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { posixCksum } from '../../../shared/jobOutputs/posixCksum';

describe('posixCksum', () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from('a')],
    ['a line', Buffer.from('hello world\n')],
    ['256 bytes (length needs two bytes)', randomBytes(256)],
    ['70,000 random bytes', randomBytes(70_000)],
  ])('agrees with the system cksum for %s', (_name, bytes) => {
    const [sum, size] = execFileSync('cksum', { input: bytes }).toString().trim().split(/\s+/);
    expect(posixCksum(bytes)).toBe(Number(sum));
    expect(bytes.length).toBe(Number(size));
  });
});
