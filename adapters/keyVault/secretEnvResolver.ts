import type { TokenCredential } from '@azure/core-auth';
import { isRestError } from '@azure/core-rest-pipeline';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import { PermanentProviderError, TransientProviderError } from '../../shared/errors/dispatchErrors';
import type { SecretReference } from '../../shared/routes/routeSchema';
import { parseKeyVaultSecretReference, type KeyVaultSecretLocation } from './parseKeyVaultSecretReference';

export interface SecretEnvResolverOptions {
  /** Same credential as the rest of the app (managed identity in Azure). */
  credential: TokenCredential;
  /** KEY_VAULT_URI: the vault for references given as bare secret names. */
  keyVaultUri?: string;
  /**
   * The app settings `appSetting` references read from (handed over by the config loader; nothing here
   * reads process.env). In Azure an app setting may itself be a `@Microsoft.KeyVault(...)` reference that
   * the platform resolves with the app's managed identity.
   */
  appSettings: Readonly<Record<string, string | undefined>>;
  secretClientOptions?: SecretClientOptions;
  /** For tests and special clouds: how a vault client is made. */
  createSecretClient?: (vaultUrl: string, credential: TokenCredential) => Pick<SecretClient, 'getSecret'>;
}

/** What the job activity needs: route secretEnv references in, values out. */
export interface SecretResolver {
  resolve(
    route: string,
    secretEnv: Readonly<Record<string, SecretReference>>,
  ): Promise<Record<string, string>>;
}

/** The platform leaves the literal reference in place when it could not resolve it. */
const unresolvedKeyVaultReference = /^@Microsoft\.KeyVault\(/i;

/**
 * Resolves a route's `secretEnv` (variable name -> reference) to values for ACI secure environment
 * variables. Values are returned to the caller only: never logged, never put in error messages (errors
 * name the route and the variable). A missing secret or setting is permanent (the job can never run as
 * configured); an unreachable or throttling vault is transient.
 */
export class SecretEnvResolver implements SecretResolver {
  private readonly clients = new Map<string, Pick<SecretClient, 'getSecret'>>();

  constructor(private readonly options: SecretEnvResolverOptions) {}

  async resolve(
    route: string,
    secretEnv: Readonly<Record<string, SecretReference>>,
  ): Promise<Record<string, string>> {
    const entries = await Promise.all(
      Object.entries(secretEnv).map(
        async ([variable, reference]) =>
          [variable, await this.resolveOne(route, variable, reference)] as const,
      ),
    );
    return Object.fromEntries(entries);
  }

  private async resolveOne(route: string, variable: string, reference: SecretReference): Promise<string> {
    const where = `route ${route}, secretEnv.${variable}`;
    if ('appSetting' in reference) {
      const value = this.options.appSettings[reference.appSetting];
      if (value === undefined || value === '') {
        throw new PermanentProviderError(
          `${where}: app setting ${reference.appSetting} is not set`,
          'SecretNotFound',
        );
      }
      if (unresolvedKeyVaultReference.test(value)) {
        throw new PermanentProviderError(
          `${where}: app setting ${reference.appSetting} is a Key Vault reference the platform could not resolve (check the app identity's access to the vault)`,
          'SecretNotResolved',
        );
      }
      return value;
    }

    const parsed = parseKeyVaultSecretReference(reference.keyVaultSecret, this.options.keyVaultUri);
    if (!parsed.ok) throw new PermanentProviderError(`${where}: ${parsed.problem}`, 'InvalidSecretReference');
    return this.readSecret(where, parsed.location);
  }

  private async readSecret(where: string, location: KeyVaultSecretLocation): Promise<string> {
    const what = `secret ${location.name}${location.version ? `/${location.version}` : ''} in ${location.vaultUrl}`;
    let value: string | undefined;
    try {
      const secret = await this.client(location.vaultUrl).getSecret(location.name, {
        version: location.version,
      });
      value = secret.value;
    } catch (err) {
      throw classifyVaultError(err, `${where}: ${what}`);
    }
    if (value === undefined)
      throw new PermanentProviderError(`${where}: ${what} has no value`, 'SecretNotFound');
    return value;
  }

  private client(vaultUrl: string): Pick<SecretClient, 'getSecret'> {
    let client = this.clients.get(vaultUrl);
    if (!client) {
      client = this.options.createSecretClient
        ? this.options.createSecretClient(vaultUrl, this.options.credential)
        : new SecretClient(vaultUrl, this.options.credential, this.options.secretClientOptions);
      this.clients.set(vaultUrl, client);
    }
    return client;
  }
}

/** Vault status codes -> retry decision. The RestError message names the secret, never its value. */
function classifyVaultError(err: unknown, what: string): PermanentProviderError | TransientProviderError {
  if (isRestError(err)) {
    const status = err.statusCode;
    const code = err.code ?? (status !== undefined ? `Http${status}` : 'NetworkError');
    if (status === undefined || status === 408 || status === 429 || status >= 500) {
      return new TransientProviderError(`${what}: vault unreachable or busy (${code})`, code, undefined, {
        cause: err,
      });
    }
    if (status === 404)
      return new PermanentProviderError(`${what}: not found`, 'SecretNotFound', { cause: err });
    if (status === 401 || status === 403) {
      return new PermanentProviderError(`${what}: access denied or secret disabled (${code})`, code, {
        cause: err,
      });
    }
    return new PermanentProviderError(`${what}: rejected (${code})`, code, { cause: err });
  }
  if (err instanceof Error && err.name === 'CredentialUnavailableError') {
    return new PermanentProviderError(
      `${what}: no credential available (${err.message})`,
      'CredentialUnavailable',
      { cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TransientProviderError(`${what}: ${message}`, undefined, undefined, { cause: err });
}
