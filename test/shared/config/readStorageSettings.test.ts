import { loadSettings } from '../../../shared/config/loadSettings';
import { ConfigError } from '../../../shared/errors/dispatchErrors';
import { TEST_SIGNING_KEY } from '../../support/testSigner';

const local = {
  DURABLE_TASK_HUB: 'dispatcherlocal',
  DISPATCH_SIGNING_KEY: TEST_SIGNING_KEY,
  ServiceBusConnection:
    'Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;',
};
const azurite =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;' +
  'BlobEndpoint=http://127.0.0.1:41000/devstoreaccount1;TableEndpoint=http://127.0.0.1:41002/devstoreaccount1;';

function issues(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected ConfigError');
}

describe('storage settings', () => {
  it('default to the local emulator, the job-logs container, 30 days and the dispatchledger table', () => {
    expect(loadSettings(local).storage).toEqual({
      connection: { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' },
      jobLogsContainer: 'job-logs',
      jobLogsRetentionDays: 30,
      ledgerTable: 'dispatchledger',
    });
  });

  it('take an Azurite connection string and custom names', () => {
    const { storage } = loadSettings({
      ...local,
      DispatchStorage: azurite,
      DISPATCH_JOB_LOGS_CONTAINER: 'logs-2',
      DISPATCH_JOB_LOGS_RETENTION_DAYS: '7',
      DISPATCH_LEDGER_TABLE: 'Ledger2',
    });
    expect(storage).toEqual({
      connection: { kind: 'connectionString', connectionString: azurite },
      jobLogsContainer: 'logs-2',
      jobLogsRetentionDays: 7,
      ledgerTable: 'Ledger2',
    });
  });

  it('use the service URIs (identity) when they are set', () => {
    expect(
      loadSettings({
        ...local,
        DispatchStorage__blobServiceUri: 'https://st1.blob.core.windows.net/',
        DispatchStorage__tableServiceUri: 'https://st1.table.core.windows.net',
      }).storage.connection,
    ).toEqual({
      kind: 'identity',
      blobServiceUri: 'https://st1.blob.core.windows.net',
      tableServiceUri: 'https://st1.table.core.windows.net',
    });
  });

  it('refuse a connection string to anything but a loopback emulator, without echoing it', () => {
    const remote =
      'DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net';
    const found = issues({ ...local, DispatchStorage: remote });
    expect(found).toEqual([
      expect.stringMatching(/^DispatchStorage: a connection string is only accepted for a local emulator/),
    ]);
    expect(found.join()).not.toContain('c2VjcmV0');
  });

  it('name each bad value and what was expected', () => {
    expect(
      issues({
        ...local,
        DISPATCH_JOB_LOGS_CONTAINER: 'Job_Logs',
        DISPATCH_LEDGER_TABLE: '1ledger',
        DISPATCH_JOB_LOGS_RETENTION_DAYS: '0',
        DispatchStorage__blobServiceUri: 'http://st1.blob.core.windows.net',
      }),
    ).toEqual([
      expect.stringMatching(/^DISPATCH_JOB_LOGS_CONTAINER: expected a blob container name .*got "Job_Logs"$/),
      expect.stringMatching(/^DISPATCH_LEDGER_TABLE: expected a table name .*got "1ledger"$/),
      'DISPATCH_JOB_LOGS_RETENTION_DAYS: expected an integer from 1 to 36500, got "0"',
      expect.stringMatching(
        /^DispatchStorage__blobServiceUri: expected an https URL .*got "http:\/\/st1.blob.core.windows.net"$/,
      ),
      expect.stringMatching(/^DispatchStorage__tableServiceUri: required, expected an https table endpoint/),
    ]);
  });

  it('refuse a connection string in Azure', () => {
    expect(
      issues({
        ...local,
        DispatchStorage: azurite,
        DispatchStorage__blobServiceUri: 'https://st1.blob.core.windows.net',
        DispatchStorage__tableServiceUri: 'https://st1.table.core.windows.net',
      }),
    ).toEqual(['DispatchStorage: a connection string is only for a local emulator; use the service URIs']);
  });
});
