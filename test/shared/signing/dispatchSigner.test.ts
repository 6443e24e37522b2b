import { DispatchProperty } from '../../../shared/signing/dispatchProperty';
import { DispatchSigner, POISON_IDENTITY } from '../../../shared/signing/dispatchSigner';
import { generateSigningKey, parseSigningKey } from '../../../shared/signing/signingKeys';

const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);
const EVENT = { source: '/orders', id: 'evt-1' };

describe('DispatchSigner', () => {
  const signer = new DispatchSigner({ current: key(1) });

  it('signs marks so that they verify for the same identity, and carries the notes unsigned', () => {
    const props = signer.properties(EVENT, { route: 'resize', attempt: 2 }, { lastError: 'exit code 7' });
    expect(props).toMatchObject({
      'dispatch-route': 'resize',
      'dispatch-attempt': 2,
      'dispatch-last-error': 'exit code 7',
    });
    expect(props[DispatchProperty.signature]).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(signer.read(EVENT, props)).toEqual({
      kind: 'signed',
      marks: { route: 'resize', attempt: 2 },
      notes: { lastError: 'exit code 7' },
      key: 'current',
    });
  });

  it('reads a plain event as having no marks', () => {
    expect(signer.read(EVENT, { tenant: 'a' })).toEqual({ kind: 'none' });
  });

  it.each([
    ['no signature', { 'dispatch-route': 'other' }],
    ['no signature, attempt only', { 'dispatch-attempt': 99 }],
    ['a forged signature', { 'dispatch-dead-letter-reason': 'JobFailed', 'dispatch-signature': 'v1.AAAA' }],
  ])('does not trust reserved properties with %s', (_name, props) => {
    const reading = signer.read(EVENT, props);
    expect(reading.kind).toBe('untrusted');
    expect(reading.kind === 'untrusted' && reading.reason).toMatch(/dispatch-/);
  });

  it('binds the signature to the identity and to every steering property', () => {
    const props = signer.properties(EVENT, { route: 'resize', attempt: 2 });
    expect(signer.read({ source: '/other', id: 'evt-1' }, props).kind).toBe('untrusted');
    expect(signer.read({ source: '/orders', id: 'evt-2' }, props).kind).toBe('untrusted');
    expect(signer.read(EVENT, { ...props, 'dispatch-attempt': 3 }).kind).toBe('untrusted');
    expect(signer.read(EVENT, { ...props, 'dispatch-route': 'other' }).kind).toBe('untrusted');
    expect(signer.read(EVENT, { ...props, 'dispatch-dead-letter-reason': 'JobFailed' }).kind).toBe(
      'untrusted',
    );
    expect(signer.read(EVENT, { ...props, 'dispatch-resubmission': 1 }).kind).toBe('untrusted');
    // Notes are free text for people; changing them changes nothing the dispatcher decides.
    expect(signer.read(EVENT, { ...props, 'dispatch-last-error': 'edited' }).kind).toBe('signed');
  });

  it('is unambiguous where a naive concatenation would not be', () => {
    const a = signer.properties({ source: 'a:b', id: 'c' }, { route: 'r' });
    expect(signer.read({ source: 'a', id: 'b:c' }, a).kind).toBe('untrusted');
  });

  it('accepts what the worker makes of the values: numbers for numeric text, camel-cased names', () => {
    const props = signer.properties(EVENT, { route: 'resize', attempt: 3, resubmission: 2 });
    const delivered = {
      'Dispatch-route': 'resize',
      'dispatch-attempt': '3',
      'dispatch-resubmission': 2,
      'dispatch-signature': props[DispatchProperty.signature],
    };
    expect(signer.read(EVENT, delivered)).toMatchObject({
      kind: 'signed',
      marks: { route: 'resize', attempt: 3, resubmission: 2 },
    });
  });

  it('accepts the previous key during a rotation, and nothing signed with a retired key', () => {
    const old = new DispatchSigner({ current: key(9) });
    const props = old.properties(EVENT, { route: 'resize', attempt: 2 });
    expect(new DispatchSigner({ current: key(1), previous: key(9) }).read(EVENT, props)).toMatchObject({
      kind: 'signed',
      key: 'previous',
    });
    expect(new DispatchSigner({ current: key(1), previous: key(2) }).read(EVENT, props).kind).toBe(
      'untrusted',
    );
  });

  it('refuses to sign values the trigger would never accept', () => {
    expect(() => signer.properties(EVENT, { attempt: 0 })).toThrow(/dispatch-attempt/);
    expect(() => signer.properties(EVENT, { resubmission: 1.5 })).toThrow(/dispatch-resubmission/);
    expect(signer.properties(EVENT, { resubmission: 0 })).not.toHaveProperty('dispatch-resubmission');
  });

  it('makes MessageIds that are deterministic, distinct per purpose and identity, and keyed', () => {
    const id = signer.messageId('requeue', EVENT, ['resize', 2, 0]);
    expect(id).toMatch(/^requeue:[A-Za-z0-9_-]{43}$/);
    expect(id.length).toBeLessThanOrEqual(128);
    expect(signer.messageId('requeue', EVENT, ['resize', 2, 0])).toBe(id);
    expect(signer.messageId('dead-letter', EVENT, ['resize', 2, 0])).not.toBe(
      id.replace('requeue', 'dead-letter'),
    );
    expect(signer.messageId('requeue', { source: '/b', id: 'evt-1' }, ['resize', 2, 0])).not.toBe(id);
    expect(signer.messageId('requeue', EVENT, ['resize', 2, 1])).not.toBe(id);
    expect(new DispatchSigner({ current: key(2) }).messageId('requeue', EVENT, ['resize', 2, 0])).not.toBe(
      id,
    );
    // The old predictable form is not what a copy uses.
    expect(id).not.toContain('evt-1');
  });

  it('names poison copies after the original MessageId, or the body when there was none', () => {
    const body = Buffer.from('{bad');
    expect(signer.poisonMessageId('m1', body)).toBe(signer.poisonMessageId('m1', Buffer.from('{other')));
    expect(signer.poisonMessageId('m1', body)).not.toBe(signer.poisonMessageId('m2', body));
    expect(signer.poisonMessageId(undefined, body)).toBe(
      signer.poisonMessageId(undefined, Buffer.from('{bad')),
    );
    expect(signer.poisonMessageId(undefined, body)).not.toBe(signer.poisonMessageId('m1', body));
  });

  it('signs a poison mark that no readable event can reuse', () => {
    const props = signer.properties(POISON_IDENTITY, { deadLetterReason: 'InvalidEvent' });
    expect(signer.read(POISON_IDENTITY, props).kind).toBe('signed');
    expect(signer.read(EVENT, props).kind).toBe('untrusted');
  });
});

describe('signing keys', () => {
  it('parses base64 keys of at least 32 bytes and says what is wrong otherwise, without echoing the value', () => {
    const text = generateSigningKey();
    expect('key' in parseSigningKey('DISPATCH_SIGNING_KEY', text)).toBe(true);
    expect(parseSigningKey('DISPATCH_SIGNING_KEY', 'c2hvcnQ=')).toEqual({
      issue: 'DISPATCH_SIGNING_KEY: expected at least 32 bytes of key material, got 5',
    });
    const notBase64 = parseSigningKey('DISPATCH_SIGNING_KEY', 'not base64 at all!');
    expect('issue' in notBase64 && notBase64.issue).toMatch(
      /^DISPATCH_SIGNING_KEY: expected standard base64/,
    );
    expect(JSON.stringify(notBase64)).not.toContain('not base64 at all');
    const unresolved = parseSigningKey(
      'DISPATCH_SIGNING_KEY',
      '@Microsoft.KeyVault(SecretUri=https://v/secrets/k)',
    );
    expect('issue' in unresolved && unresolved.issue).toMatch(/Key Vault reference was not resolved/);
  });
});
