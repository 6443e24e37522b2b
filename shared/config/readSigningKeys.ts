import { parseSigningKey, type SigningKeys } from '../signing/signingKeys';

/** Route `secretEnv` may read app settings: the signing keys are not among them (a job must never hold them). */
export function withoutSigningKeys(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(env).filter(
      ([name]) => name !== 'DISPATCH_SIGNING_KEY' && name !== 'DISPATCH_SIGNING_KEY_PREVIOUS',
    ),
  );
}

/** DISPATCH_SIGNING_KEY (required) and DISPATCH_SIGNING_KEY_PREVIOUS (during a rotation); never echoed. */
export function readSigningKeys(
  get: (name: string) => string | undefined,
  issues: string[],
): SigningKeys | undefined {
  const currentText = get('DISPATCH_SIGNING_KEY');
  const previousText = get('DISPATCH_SIGNING_KEY_PREVIOUS');
  if (currentText === undefined) {
    issues.push(
      'DISPATCH_SIGNING_KEY: required, expected base64 of at least 32 random bytes (in Azure a Key Vault reference; `dispatcher dev` generates one)',
    );
  }
  const current =
    currentText !== undefined ? parseSigningKey('DISPATCH_SIGNING_KEY', currentText) : undefined;
  const previous =
    previousText !== undefined ? parseSigningKey('DISPATCH_SIGNING_KEY_PREVIOUS', previousText) : undefined;
  if (current && 'issue' in current) issues.push(current.issue);
  if (previous && 'issue' in previous) issues.push(previous.issue);
  if (!current || !('key' in current)) return undefined;
  return { current: current.key, ...(previous && 'key' in previous ? { previous: previous.key } : {}) };
}
