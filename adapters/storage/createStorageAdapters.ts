import type { TokenCredential } from '@azure/core-auth';
import type { StorageSettings } from '../../shared/config/readStorageSettings';
import { AzureBlobStore } from '../blob/azureBlobStore';
import type { BlobStore } from '../blob/blobStore';
import { createBlobServiceClient } from '../blob/createBlobServiceClient';
import { createTableClient } from '../ledger/createTableClient';
import type { EventLedger } from '../ledger/eventLedger';
import { TableEventLedger } from '../ledger/tableEventLedger';

/** The app's Blob store and event ledger, from the storage settings. Creates no connection until first use. */
export function createStorageAdapters(
  storage: StorageSettings,
  credential: TokenCredential,
): { blobStore: BlobStore; ledger: EventLedger } {
  // Only the emulator (a connection string) creates what it lacks; in Azure infra provisions both.
  const emulator = storage.connection.kind === 'connectionString';
  return {
    blobStore: new AzureBlobStore({
      client: createBlobServiceClient(storage.connection, credential),
      createContainers: emulator,
    }),
    ledger: new TableEventLedger({
      client: createTableClient(storage.connection, credential, storage.ledgerTable),
      createTable: emulator,
    }),
  };
}
