import { randomBytes } from 'node:crypto';
import {
  callbackKeyFrom,
  callbackToken,
  callbackTokenMatches,
} from '../../../shared/callbacks/callbackToken';
import { resolveCallbackKey } from '../../../shared/callbacks/resolveCallbackKey';
import { loadSettings } from '../../../shared/config/loadSettings';

const key = callbackKeyFrom(randomBytes(32));
const deadline = '2026-01-01T01:00:00.000Z';

describe('callback tokens', () => {
  it('match only the (instance, deadline) and key they were made for', () => {
    const token = callbackToken(key, 'route-0123456789abcdef-a1', deadline);
    expect(token).toMatch(/^dcb1\.[A-Za-z0-9_-]{43}$/);
    expect(callbackTokenMatches(key, 'route-0123456789abcdef-a1', deadline, token)).toBe(true);
    expect(callbackTokenMatches(key, 'route-0123456789abcdef-a2', deadline, token)).toBe(false);
    expect(callbackTokenMatches(key, 'route-0123456789abcdef-a1', '2026-01-01T02:00:00.000Z', token)).toBe(
      false,
    );
    expect(
      callbackTokenMatches(callbackKeyFrom(randomBytes(32)), 'route-0123456789abcdef-a1', deadline, token),
    ).toBe(false);
    expect(callbackTokenMatches(key, 'route-0123456789abcdef-a1', deadline, `${token}x`)).toBe(false);
  });
});

const base = {
  DURABLE_TASK_HUB: 'hub',
  ServiceBusConnection:
    'Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;',
};

describe('callback settings', () => {
  it('reads the signing key and derives the base URL from the host name', () => {
    const secret = randomBytes(32).toString('base64');
    const s = loadSettings({ ...base, DISPATCH_SIGNING_KEY: secret, WEBSITE_HOSTNAME: 'localhost:7071' });
    expect(s.callbacks.signingKey?.length).toBe(32);
    expect(s.callbacks.baseUrl).toBe('http://localhost:7071/api');
  });

  it('names a short key without echoing it, and refuses http in Azure', () => {
    expect(() => loadSettings({ ...base, DISPATCH_SIGNING_KEY: 'c2hvcnQ=' })).toThrow(
      /DISPATCH_SIGNING_KEY: expected at least 32 bytes of key material/,
    );
    expect(() => loadSettings({ ...base, DISPATCH_SIGNING_KEY: 'c2hvcnQ=' })).not.toThrow(/c2hvcnQ/);
    expect(() =>
      loadSettings({
        ...base,
        WEBSITE_INSTANCE_ID: 'x',
        DISPATCH_CALLBACK_BASE_URL: 'http://app.example/api',
      }),
    ).toThrow(/DISPATCH_CALLBACK_BASE_URL: expected an https URL when running in Azure/);
  });

  it('requires a signing key in Azure only when a route wants callbacks', () => {
    const settings = { callbacks: {}, runningInAzure: true };
    expect(() => resolveCallbackKey(settings, [{ name: 'thumbs', completion: 'callback' }])).toThrow(
      /DISPATCH_SIGNING_KEY: required when a route has "completion": "callback" \(thumbs\)/,
    );
    expect(resolveCallbackKey(settings, [{ name: 'thumbs', completion: 'poll' }])).toHaveLength(32);
  });
});
