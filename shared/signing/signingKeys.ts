import { randomBytes } from 'node:crypto';

/** HMAC-SHA256 keys shorter than its 32-byte output add no strength; shorter ones are refused. */
export const MIN_SIGNING_KEY_BYTES = 32;

/** The app's signing keys: copies are signed with `current`; `previous` is still accepted (rotation). */
export interface SigningKeys {
  current: Uint8Array;
  previous?: Uint8Array;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A key setting (`DISPATCH_SIGNING_KEY`, `DISPATCH_SIGNING_KEY_PREVIOUS`): standard base64 of at least 32
 * random bytes. Returns the key, or the issue naming the setting (the value itself is never echoed: it is a
 * secret).
 */
export function parseSigningKey(setting: string, text: string): { key: Uint8Array } | { issue: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('@Microsoft.KeyVault(')) {
    return {
      issue: `${setting}: the Key Vault reference was not resolved by the platform (check the app's identity has "Key Vault Secrets User" on the vault and the secret exists)`,
    };
  }
  if (!BASE64.test(trimmed)) {
    return {
      issue: `${setting}: expected standard base64 (e.g. \`openssl rand -base64 32\`), got a value that is not`,
    };
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.byteLength < MIN_SIGNING_KEY_BYTES) {
    return {
      issue: `${setting}: expected at least ${MIN_SIGNING_KEY_BYTES} bytes of key material, got ${key.byteLength}`,
    };
  }
  return { key };
}

/** A fresh key in the settings' format (what `dispatcher dev` and the azd hook create). */
export function generateSigningKey(): string {
  return randomBytes(MIN_SIGNING_KEY_BYTES).toString('base64');
}
