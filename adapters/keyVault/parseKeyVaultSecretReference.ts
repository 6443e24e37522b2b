/** Key Vault object names: 1-127 alphanumerics and dashes. */
const secretNamePattern = /^[0-9A-Za-z-]{1,127}$/;

export interface KeyVaultSecretLocation {
  /** `https://<vault host>` without a trailing slash. */
  vaultUrl: string;
  name: string;
  /** Absent = the latest version. */
  version?: string;
}

/**
 * Parses a route's `keyVaultSecret` reference: either a bare secret name (looked up in `defaultVaultUri`,
 * i.e. KEY_VAULT_URI) or a full secret identifier `https://<vault>.vault.azure.net/secrets/<name>[/<version>]`.
 * Returns a problem description instead of throwing so callers can word it for their context (start-up
 * validation vs. the job activity).
 */
export function parseKeyVaultSecretReference(
  reference: string,
  defaultVaultUri: string | undefined,
): { ok: true; location: KeyVaultSecretLocation } | { ok: false; problem: string } {
  if (secretNamePattern.test(reference)) {
    if (!defaultVaultUri) {
      return {
        ok: false,
        problem: `secret name '${reference}' needs KEY_VAULT_URI (or give a full secret URI)`,
      };
    }
    const vault = parseVaultUrl(defaultVaultUri);
    if (!vault.ok) return { ok: false, problem: `KEY_VAULT_URI: ${vault.problem}` };
    return { ok: true, location: { vaultUrl: vault.url, name: reference } };
  }

  let url: URL;
  try {
    url = new URL(reference);
  } catch {
    return {
      ok: false,
      problem: `'${reference}' is neither a secret name ([0-9A-Za-z-], 1-127 chars) nor a secret URI https://<vault>.vault.azure.net/secrets/<name>[/<version>]`,
    };
  }
  const segments = url.pathname.split('/').filter((s) => s.length > 0);
  const [collection, name, version, ...rest] = segments;
  if (
    url.protocol !== 'https:' ||
    url.search !== '' ||
    url.hash !== '' ||
    collection !== 'secrets' ||
    name === undefined ||
    !secretNamePattern.test(name) ||
    rest.length > 0 ||
    (version !== undefined && !/^[0-9A-Za-z]{1,64}$/.test(version))
  ) {
    return {
      ok: false,
      problem: `'${reference}' is not a secret URI of the form https://<vault>.vault.azure.net/secrets/<name>[/<version>]`,
    };
  }
  return {
    ok: true,
    location: { vaultUrl: url.origin, name, ...(version !== undefined ? { version } : {}) },
  };
}

function parseVaultUrl(text: string): { ok: true; url: string } | { ok: false; problem: string } {
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:')
      return { ok: false, problem: `expected an https vault URI, got '${text}'` };
    return { ok: true, url: url.origin };
  } catch {
    return {
      ok: false,
      problem: `expected a vault URI such as https://myvault.vault.azure.net, got '${text}'`,
    };
  }
}
