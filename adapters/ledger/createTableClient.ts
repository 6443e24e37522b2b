import type { TokenCredential } from '@azure/core-auth';
import { TableClient } from '@azure/data-tables';
import type { StorageConnectionSettings } from '../../shared/config/readStorageSettings';

/**
 * The Table client for one table of the app's storage: the app credential against the service URI in Azure,
 * the connection string only for the local emulator (plain http there, which the SDK must be told to allow).
 */
export function createTableClient(
  connection: StorageConnectionSettings,
  credential: TokenCredential,
  tableName: string,
): TableClient {
  return connection.kind === 'identity'
    ? new TableClient(connection.tableServiceUri, tableName, credential)
    : TableClient.fromConnectionString(connection.connectionString, tableName, {
        allowInsecureConnection: true,
      });
}
