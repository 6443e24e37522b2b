import { DefaultAzureCredential } from '@azure/identity';
import { createCredential } from '../../../adapters/azure/createCredential';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import { ConfigError } from '../../../shared/errors/dispatchErrors';

describe('createCredential', () => {
  test('default mode is DefaultAzureCredential', () => {
    expect(
      createCredential({ mode: 'default', managedIdentityClientId: '11111111-1111-1111-1111-111111111111' }),
    ).toBeInstanceOf(DefaultAzureCredential);
  });

  test.each(['https://127.0.0.1:8443', 'https://localhost:1234', 'https://[::1]:9'])(
    'emulator mode with %s gives a static token',
    async (endpoint) => {
      const credential = createCredential({ mode: 'emulator', armEndpoint: endpoint });
      expect(credential).toBeInstanceOf(EmulatorCredential);
      const token = await credential.getToken('https://management.azure.com/.default');
      expect(token?.token).toBe('dispatcher-emulator-token');
      expect(token!.expiresOnTimestamp).toBeGreaterThan(Date.now());
    },
  );

  test.each([
    undefined,
    'http://127.0.0.1:8443',
    'https://management.azure.com',
    'https://127.0.0.1.example.com',
    'not a url',
  ])('emulator mode with ARM_ENDPOINT %p is refused', (endpoint) => {
    expect(() => createCredential({ mode: 'emulator', armEndpoint: endpoint })).toThrow(ConfigError);
    expect(() => createCredential({ mode: 'emulator', armEndpoint: endpoint })).toThrow(
      /ARM_CREDENTIAL=emulator is only allowed with a loopback https ARM_ENDPOINT/,
    );
  });

  test('an unknown mode is refused by name', () => {
    expect(() => createCredential({ mode: 'magic' as 'default' })).toThrow(
      "ARM_CREDENTIAL: expected 'default' or 'emulator', got 'magic'",
    );
  });
});
