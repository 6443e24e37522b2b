import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey } from '../../shared/signing/signingKeys';

/** Where `dispatcher dev --state <dir>` keeps the app's signing key (what local tools such as `dlq resubmit` read). */
export function devSigningKeyPath(stateDir: string): string {
  return join(stateDir, 'signing-key');
}

/**
 * The local stack's DISPATCH_SIGNING_KEY: generated once per state dir and kept there (owner-only file), so
 * copies scheduled before a restart still verify after it; a fresh one per run without a state dir.
 */
export function devSigningKey(stateDir: string | undefined): string {
  if (stateDir === undefined) return generateSigningKey();
  const path = devSigningKeyPath(stateDir);
  if (existsSync(path)) return readDevSigningKey(stateDir);
  mkdirSync(stateDir, { recursive: true });
  const key = generateSigningKey();
  // 'wx': two stacks started on one state dir at once must not each write their own key.
  try {
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readDevSigningKey(stateDir);
    throw err;
  }
  return key;
}

/** The signing key of a local stack's state dir (throws naming the file when there is none). */
export function readDevSigningKey(stateDir: string): string {
  const path = devSigningKeyPath(stateDir);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new Error(
      `no signing key at ${path} (${(err as Error).message}); start the stack once with \`dispatcher dev --state ${stateDir}\``,
    );
  }
}
