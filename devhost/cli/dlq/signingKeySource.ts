import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultAzureCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { DispatchSigner } from '../../../shared/signing/dispatchSigner';
import { parseSigningKey, type SigningKeys } from '../../../shared/signing/signingKeys';

export interface SigningKeyFlags {
  /** A local stack's state dir (`dispatcher dev --state DIR`), which keeps the app's key in `signing-key`. */
  state?: string;
  /** Key Vault URL holding the app's key (Azure), read with DefaultAzureCredential. */
  keyVault?: string;
  signingKeySecret: string;
}

function parsed(setting: string, text: string): Uint8Array {
  const result = parseSigningKey(setting, text);
  if ('issue' in result) throw new Error(result.issue);
  return result.key;
}

/**
 * The app's signing keys for a local tool, from (first that is given): the local stack's state dir, the
 * DISPATCH_SIGNING_KEY environment variable (and DISPATCH_SIGNING_KEY_PREVIOUS), or the app's Key Vault.
 * Never from a command-line value: that would end up in shell history and process listings.
 */
export async function loadSigningKeys(
  flags: SigningKeyFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SigningKeys | undefined> {
  if (flags.state !== undefined) {
    const path = join(flags.state, 'signing-key');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(
        `--state ${flags.state}: cannot read the stack's signing key at ${path} (${(err as Error).message})`,
      );
    }
    return { current: parsed(path, text) };
  }
  const fromEnv = env.DISPATCH_SIGNING_KEY;
  if (fromEnv !== undefined && fromEnv !== '') {
    const previous = env.DISPATCH_SIGNING_KEY_PREVIOUS;
    return {
      current: parsed('DISPATCH_SIGNING_KEY', fromEnv),
      ...(previous ? { previous: parsed('DISPATCH_SIGNING_KEY_PREVIOUS', previous) } : {}),
    };
  }
  if (flags.keyVault !== undefined) {
    const client = new SecretClient(flags.keyVault, new DefaultAzureCredential());
    const secret = await client.getSecret(flags.signingKeySecret);
    if (!secret.value)
      throw new Error(`--key-vault ${flags.keyVault}: secret ${flags.signingKeySecret} has no value`);
    return { current: parsed(`${flags.keyVault} secret ${flags.signingKeySecret}`, secret.value) };
  }
  return undefined;
}

/** A signer, or an error saying where the key can come from. */
export async function requireSigner(flags: SigningKeyFlags): Promise<DispatchSigner> {
  const keys = await loadSigningKeys(flags);
  if (!keys)
    throw new Error(
      "resubmitting needs the app's signing key: --state DIR (a local stack started with --state), DISPATCH_SIGNING_KEY in the environment, or --key-vault URL (Azure)",
    );
  return new DispatchSigner(keys);
}
