import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient } from '@azure/storage-blob';
import type { StorageConnectionSettings } from '../../shared/config/readStorageSettings';

/**
 * The Blob client for the app's storage: the app credential against the service URI in Azure (keys are
 * disabled there), the connection string only for the local emulator (the settings loader refuses any other).
 */
export function createBlobServiceClient(
  connection: StorageConnectionSettings,
  credential: TokenCredential,
): BlobServiceClient {
  return connection.kind === 'identity'
    ? new BlobServiceClient(connection.blobServiceUri, credential)
    : BlobServiceClient.fromConnectionString(connection.connectionString);
}
