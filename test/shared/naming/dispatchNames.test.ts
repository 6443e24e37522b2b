import { createHash } from 'node:crypto';
import {
  containerGroupNameFor,
  eventIdentityHash,
  instanceIdFor,
  settledMessageId,
} from '../../../shared/naming/dispatchNames';

const aciName = /^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;
const E1 = { source: '/s', id: 'evt-1' };
const E2 = { source: '/s', id: 'evt-2' };

describe('dispatch names', () => {
  it('instance id is <route>-<16 hex of sha256(["source","id"])>[-g<generation>]-a<attempt>', () => {
    const hash = createHash('sha256').update('["/s","evt-1"]').digest('hex');
    expect(eventIdentityHash(E1)).toBe(hash);
    expect(instanceIdFor('resize', E1, 2)).toBe(`resize-${hash.slice(0, 16)}-a2`);
    expect(instanceIdFor('resize', E1, 2, 0)).toBe(instanceIdFor('resize', E1, 2));
    expect(instanceIdFor('resize', E1, 1, 3)).toBe(`resize-${hash.slice(0, 16)}-g3-a1`);
    expect(instanceIdFor('resize', E2, 2)).not.toBe(instanceIdFor('resize', E1, 2));
    // The same id from another source is another event; the pair is hashed unambiguously.
    expect(instanceIdFor('resize', { source: '/t', id: 'evt-1' }, 2)).not.toBe(
      instanceIdFor('resize', E1, 2),
    );
    expect(eventIdentityHash({ source: 'a:b', id: 'c' })).not.toBe(
      eventIdentityHash({ source: 'a', id: 'b:c' }),
    );
  });

  it('container group name is the instance id when it is a valid ACI name', () => {
    const id = instanceIdFor('resize', E1, 1);
    expect(containerGroupNameFor(id)).toBe(id);
  });

  it('container group names stay valid and unique for long or odd instance ids', () => {
    const longRoute = 'a'.repeat(40);
    const a = containerGroupNameFor(instanceIdFor(longRoute, { source: '/s', id: 'x' }, 12345));
    const b = containerGroupNameFor(instanceIdFor(longRoute, { source: '/s', id: 'y' }, 12345));
    const g = containerGroupNameFor(instanceIdFor(longRoute, { source: '/s', id: 'x' }, 12345, 7));
    for (const name of [a, b, g]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(aciName);
    }
    expect(a).not.toBe(b);
    expect(a).toMatch(/-a12345$/);
    expect(g).toMatch(/-[0-9a-f]{16}-g7-a12345$/);
    const odd = containerGroupNameFor('--Some_ID--With..Stuff--');
    expect(odd).toBe('some-id-with-stuff');
    expect(containerGroupNameFor('x'.repeat(100))).toHaveLength(63);
  });

  it('settled message ids are deterministic per identity, route, attempt and generation', () => {
    expect(settledMessageId(E1, 'resize', 2)).toMatch(/^settled:[0-9a-f]{64}$/);
    expect(settledMessageId(E1, 'resize', 2)).toBe(settledMessageId(E1, 'resize', 2, 0));
    expect(settledMessageId(E1, 'resize', 2, 1)).not.toBe(settledMessageId(E1, 'resize', 2));
    expect(settledMessageId({ source: '/t', id: 'evt-1' }, 'resize', 2)).not.toBe(
      settledMessageId(E1, 'resize', 2),
    );
  });
});
