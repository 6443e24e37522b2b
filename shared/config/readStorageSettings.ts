/**
 * Where the app keeps its own data in Azure Storage: the event ledger (Tables) and job logs (Blobs).
 * Identity-based in Azure (service URIs + the app credential); a connection string only for a local emulator
 * (Azurite), because the account has shared keys disabled in Azure.
 */
export interface StorageSettings {
  connection: StorageConnectionSettings;
  /** Blob container of archived job logs (`<route>/<eventId>/a<attempt>.log` inside it). */
  jobLogsContainer: string;
  /** Days a job log is kept (infra's lifecycle rule deletes older ones). */
  jobLogsRetentionDays: number;
  /** Table of the event ledger. */
  ledgerTable: string;
}

export type StorageConnectionSettings =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; blobServiceUri: string; tableServiceUri: string };

export const DEFAULT_JOB_LOGS_CONTAINER = 'job-logs';
export const DEFAULT_JOB_LOGS_RETENTION_DAYS = 30;
export const DEFAULT_LEDGER_TABLE = 'dispatchledger';

/** Azurite on its default ports; what Functions tooling means by local storage. */
const LOCAL_DEFAULT = 'UseDevelopmentStorage=true';
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

/** Reads the storage settings; problems go to `issues` as `<SETTING>: <expected>, got "<value>"`. */
export function readStorageSettings(
  get: (name: string) => string | undefined,
  issues: string[],
  runningInAzure: boolean,
): StorageSettings {
  const jobLogsContainer = get('DISPATCH_JOB_LOGS_CONTAINER') ?? DEFAULT_JOB_LOGS_CONTAINER;
  if (!CONTAINER_NAME.test(jobLogsContainer)) {
    issues.push(
      `DISPATCH_JOB_LOGS_CONTAINER: expected a blob container name (3-63 lower-case letters, digits and single hyphens), got "${jobLogsContainer}"`,
    );
  }
  const ledgerTable = get('DISPATCH_LEDGER_TABLE') ?? DEFAULT_LEDGER_TABLE;
  if (!TABLE_NAME.test(ledgerTable)) {
    issues.push(
      `DISPATCH_LEDGER_TABLE: expected a table name (a letter, then letters and digits, 3-63 characters), got "${ledgerTable}"`,
    );
  }
  const retentionText = get('DISPATCH_JOB_LOGS_RETENTION_DAYS');
  let jobLogsRetentionDays = DEFAULT_JOB_LOGS_RETENTION_DAYS;
  if (retentionText !== undefined) {
    if (/^\d+$/.test(retentionText) && Number(retentionText) >= 1 && Number(retentionText) <= 36500) {
      jobLogsRetentionDays = Number(retentionText);
    } else {
      issues.push(
        `DISPATCH_JOB_LOGS_RETENTION_DAYS: expected an integer from 1 to 36500, got "${retentionText}"`,
      );
    }
  }
  return {
    connection: readConnection(get, issues, runningInAzure),
    jobLogsContainer,
    jobLogsRetentionDays,
    ledgerTable,
  };
}

function readConnection(
  get: (name: string) => string | undefined,
  issues: string[],
  runningInAzure: boolean,
): StorageConnectionSettings {
  const connectionString = get('DispatchStorage');
  const blobServiceUri = get('DispatchStorage__blobServiceUri');
  const tableServiceUri = get('DispatchStorage__tableServiceUri');
  if (blobServiceUri !== undefined || tableServiceUri !== undefined || runningInAzure) {
    if (connectionString !== undefined)
      issues.push('DispatchStorage: a connection string is only for a local emulator; use the service URIs');
    const uri = (name: string, value: string | undefined, service: string): string => {
      if (value === undefined) {
        issues.push(
          `${name}: required${runningInAzure ? ' when running in Azure' : ''}, expected an https ${service} endpoint such as https://<account>.${service}.core.windows.net`,
        );
        return '';
      }
      if (parseUrl(value)?.protocol !== 'https:')
        issues.push(
          `${name}: expected an https URL such as https://<account>.${service}.core.windows.net, got "${value}"`,
        );
      return value.replace(/\/+$/, '');
    };
    return {
      kind: 'identity',
      blobServiceUri: uri('DispatchStorage__blobServiceUri', blobServiceUri, 'blob'),
      tableServiceUri: uri('DispatchStorage__tableServiceUri', tableServiceUri, 'table'),
    };
  }
  const value = connectionString ?? LOCAL_DEFAULT;
  if (!isEmulatorConnectionString(value)) {
    // Never echo a connection string: it may hold a key.
    issues.push(
      'DispatchStorage: a connection string is only accepted for a local emulator (UseDevelopmentStorage=true, or BlobEndpoint and TableEndpoint on 127.0.0.1/localhost); in Azure set DispatchStorage__blobServiceUri and DispatchStorage__tableServiceUri',
    );
  }
  return { kind: 'connectionString', connectionString: value };
}

/** `UseDevelopmentStorage=true`, or explicit Blob and Table endpoints that are all loopback URLs. */
function isEmulatorConnectionString(value: string): boolean {
  const parts = new Map(
    value
      .split(';')
      .map((part) => part.trim())
      .filter((part) => part.includes('='))
      .map((part) => [part.slice(0, part.indexOf('=')).toLowerCase(), part.slice(part.indexOf('=') + 1)]),
  );
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') return true;
  const endpoints = ['blobendpoint', 'tableendpoint'].map((name) => parts.get(name));
  return endpoints.every((endpoint) => {
    const url = endpoint === undefined ? undefined : parseUrl(endpoint);
    return url !== undefined && LOOPBACK_HOSTS.has(url.hostname);
  });
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
