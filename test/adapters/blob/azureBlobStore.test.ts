import { BlobServiceClient } from '@azure/storage-blob';
import { AzureBlobStore } from '../../../adapters/blob/azureBlobStore';
import { createBlobServiceClient } from '../../../adapters/blob/createBlobServiceClient';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import { PermanentProviderError, TransientProviderError } from '../../../shared/errors/dispatchErrors';

let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

function store(createContainers = true): AzureBlobStore {
  const client = createBlobServiceClient(
    { kind: 'connectionString', connectionString: azurite.connectionString },
    new EmulatorCredential(),
  );
  return new AzureBlobStore({ client, createContainers });
}

describe('AzureBlobStore against Azurite', () => {
  test('writes, reads back, replaces and deletes a blob, creating its container on first use', async () => {
    const blobs = store();
    const ref = { container: 'job-logs', name: 'route-a/event 1/a1.log' };
    const { url } = await blobs.write(ref, 'line 1\nline 2\n');
    expect(url).toBe(`${azurite.blobEndpoint}/job-logs/route-a/event%201/a1.log`);
    expect(blobs.url(ref)).toBe(url);
    expect((await blobs.read(ref))?.toString()).toBe('line 1\nline 2\n');

    await blobs.write(ref, 'replaced', { metadata: { attempt: '1' } });
    const properties = await BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient('job-logs')
      .getBlobClient(ref.name)
      .getProperties();
    expect(properties.contentType).toBe('text/plain; charset=utf-8');
    expect(properties.metadata).toEqual({ attempt: '1' });
    expect((await blobs.read(ref))?.toString()).toBe('replaced');

    expect(await blobs.delete(ref)).toBe(true);
    expect(await blobs.delete(ref)).toBe(false);
    expect(await blobs.read(ref)).toBeUndefined();
  });

  test('keeps bytes intact (a 1 MB binary blob)', async () => {
    const bytes = Buffer.alloc(1024 * 1024, 0);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    const ref = { container: 'payloads', name: 'big.bin' };
    await store().write(ref, bytes);
    expect((await store().read(ref))?.equals(bytes)).toBe(true);
  });

  test('reading from a container that does not exist is "not found", writing to it a permanent error', async () => {
    const blobs = store(false);
    const ref = { container: 'never-created', name: 'x.log' };
    expect(await blobs.read(ref)).toBeUndefined();
    expect(await blobs.delete(ref)).toBe(false);
    const failure = blobs.write(ref, 'x');
    await expect(failure).rejects.toBeInstanceOf(PermanentProviderError);
    await expect(failure).rejects.toThrow(/write blob never-created\/x.log: 404 ContainerNotFound/);
  });

  test('an unreachable endpoint is a transient error', async () => {
    const closed = await startAzurite();
    await closed.close();
    const blobs = new AzureBlobStore({
      client: new BlobServiceClient(`${closed.blobEndpoint}`, undefined, { retryOptions: { maxTries: 1 } }),
    });
    await expect(blobs.write({ container: 'job-logs', name: 'x' }, 'x')).rejects.toBeInstanceOf(
      TransientProviderError,
    );
  });
});
