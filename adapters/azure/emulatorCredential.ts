import type { AccessToken, TokenCredential } from '@azure/core-auth';

/**
 * A fixed bearer token for the local ACI emulator, which accepts any token. Bearer tokens are only sent
 * over https (core-rest-pipeline refuses plain http), hence the emulator's TLS.
 */
export class EmulatorCredential implements TokenCredential {
  constructor(private readonly token = 'dispatcher-emulator-token') {}

  getToken(): Promise<AccessToken> {
    const now = Date.now();
    return Promise.resolve({
      token: this.token,
      expiresOnTimestamp: now + 60 * 60 * 1000,
      tokenType: 'Bearer',
    });
  }
}
