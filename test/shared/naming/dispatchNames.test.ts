import { createHash } from 'node:crypto';
import {
  containerGroupNameFor,
  deadLetterMessageId,
  instanceIdFor,
  poisonMessageId,
  resendMessageId,
} from '../../../shared/naming/dispatchNames';

const aciName = /^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;

describe('dispatch names', () => {
  it('instance id is <route>-<16 hex of sha256(eventId)>-a<attempt>', () => {
    const hash = createHash('sha256').update('evt-1').digest('hex').slice(0, 16);
    expect(instanceIdFor('resize', 'evt-1', 2)).toBe(`resize-${hash}-a2`);
    expect(instanceIdFor('resize', 'evt-1', 2)).toBe(instanceIdFor('resize', 'evt-1', 2));
    expect(instanceIdFor('resize', 'evt-2', 2)).not.toBe(instanceIdFor('resize', 'evt-1', 2));
  });

  it('container group name is the instance id when it is a valid ACI name', () => {
    const id = instanceIdFor('resize', 'evt-1', 1);
    expect(containerGroupNameFor(id)).toBe(id);
  });

  it('container group names stay valid and unique for long or odd instance ids', () => {
    const longRoute = 'a'.repeat(40);
    const a = containerGroupNameFor(instanceIdFor(longRoute, 'x', 12345));
    const b = containerGroupNameFor(instanceIdFor(longRoute, 'y', 12345));
    for (const name of [a, b]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(aciName);
    }
    expect(a).not.toBe(b);
    expect(a).toMatch(/-a12345$/);
    const odd = containerGroupNameFor('--Some_ID--With..Stuff--');
    expect(odd).toBe('some-id-with-stuff');
    expect(containerGroupNameFor('x'.repeat(100))).toHaveLength(63);
  });

  it('message ids are deterministic, bounded, and dead-letter copies never collide with requeued ones', () => {
    expect(resendMessageId('evt-1', 'resize', 2)).toBe('evt-1:resize:2');
    expect(deadLetterMessageId('evt-1', 'resize', 2)).toBe('evt-1:resize:2:dead-letter');
    expect(deadLetterMessageId('evt-1', undefined, undefined)).toBe('evt-1:dead-letter');
    const long = 'e'.repeat(200);
    expect(resendMessageId(long, 'resize', 2).length).toBeLessThanOrEqual(128);
    expect(resendMessageId(long, 'resize', 2)).toBe(resendMessageId(long, 'resize', 2));
    expect(deadLetterMessageId(long, 'resize', 2).length).toBeLessThanOrEqual(128);
    expect(poisonMessageId('{bad')).toMatch(/^invalid:[0-9a-f]{64}$/);
    expect(poisonMessageId('{bad', 'm1')).toBe(poisonMessageId('{other', 'm1'));
    expect(poisonMessageId('{bad', 'm1')).not.toBe(poisonMessageId('{bad', 'm2'));
    expect(poisonMessageId('{bad')).not.toBe(poisonMessageId('{bad', 'm1'));
  });
});
