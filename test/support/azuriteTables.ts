import type { TableClient } from '@azure/data-tables';
import { EmulatorCredential } from '../../adapters/azure/emulatorCredential';
import { createTableClient } from '../../adapters/ledger/createTableClient';
import { TableEventLedger } from '../../adapters/ledger/tableEventLedger';
import type { RunningAzurite } from '../../devhost/dev/startAzurite';

/** A client of `table` in Azurite, made as the app makes it (the account's connection string). */
export function azuriteTableClient(
  azurite: Pick<RunningAzurite, 'connectionString'>,
  table: string,
): TableClient {
  return createTableClient(
    { kind: 'connectionString', connectionString: azurite.connectionString },
    new EmulatorCredential(),
    table,
  );
}

/** The event ledger in Azurite's `table` (created on first use), as the tests that record or read events use it. */
export function azuriteLedger(
  azurite: Pick<RunningAzurite, 'connectionString'>,
  table = 'ledger',
): TableEventLedger {
  return new TableEventLedger({ client: azuriteTableClient(azurite, table), createTable: true });
}
