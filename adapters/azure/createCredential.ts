import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { isLoopbackHttpsEndpoint } from '../../shared/config/isLoopbackHttpsEndpoint';
import { ConfigError } from '../../shared/errors/dispatchErrors';
import { EmulatorCredential } from './emulatorCredential';

export type CredentialMode = 'default' | 'emulator';

export interface CreateCredentialOptions {
  /** ARM_CREDENTIAL. */
  mode: CredentialMode;
  /** AZURE_CLIENT_ID: the app's user-assigned managed identity. */
  managedIdentityClientId?: string;
  /** ARM_ENDPOINT: checked in `emulator` mode, which is refused for anything but loopback https. */
  armEndpoint?: string;
}

/**
 * The one credential the app uses for ARM, Key Vault and (identity-based) Service Bus.
 * `default`: DefaultAzureCredential pinned to the user-assigned identity when AZURE_CLIENT_ID is set.
 * `emulator`: a static dummy token, allowed only when ARM_ENDPOINT is https on a loopback address, so a
 * misconfigured deployment can never send it to a real endpoint.
 */
export function createCredential(options: CreateCredentialOptions): TokenCredential {
  if (options.mode === 'emulator') {
    assertLoopbackHttps(options.armEndpoint);
    return new EmulatorCredential();
  }
  if (options.mode !== 'default') {
    throw new ConfigError(`ARM_CREDENTIAL: expected 'default' or 'emulator', got '${String(options.mode)}'`);
  }
  return new DefaultAzureCredential(
    options.managedIdentityClientId ? { managedIdentityClientId: options.managedIdentityClientId } : {},
  );
}

function assertLoopbackHttps(endpoint: string | undefined): void {
  if (!isLoopbackHttpsEndpoint(endpoint)) {
    throw new ConfigError(
      `ARM_CREDENTIAL=emulator is only allowed with a loopback https ARM_ENDPOINT (e.g. https://127.0.0.1:8443), got ${endpoint === undefined ? 'no ARM_ENDPOINT' : `'${endpoint}'`}`,
    );
  }
}
