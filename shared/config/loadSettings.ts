import { ConfigError } from '../errors/dispatchErrors';
import type { SigningKeys } from '../signing/signingKeys';
import { readSigningKeys, withoutSigningKeys } from './readSigningKeys';
import { readSweepSettings, type SweepSettings } from './readSweepSettings';
import { readAdmissionSettings, type AdmissionSettings } from './admissionSettings';
import { readStorageSettings, type StorageSettings } from './readStorageSettings';
import { isLoopbackHttpsEndpoint } from './isLoopbackHttpsEndpoint';
import { readCallbackSettings, type CallbackSettings } from './readCallbackSettings';
import { connectionStringIssue, namespaceIssue } from './serviceBusConnectionIssue';

/**
 * Watch-loop polls per orchestration execution before continueAsNew. Each poll adds about 8 history events
 * (timer + activity, two episodes), so 10 keeps every execution under 100 events however long the job runs
 * (bench: 86 for a 24 h job; 20 gave 166).
 */
export const DEFAULT_POLLS_PER_EXECUTION = 10;

/**
 * The typed settings of the app (docs/settings.md is the reference). This module is the ONLY reader of
 * process.env: everything else receives a Settings object.
 */
export interface Settings {
  durableTaskHub: string;
  serviceBus: ServiceBusConnectionSettings;
  queueName: string;
  /** As configured; relative paths are resolved against the app root by the caller. */
  routesFile: string;
  settlementMode: SettlementMode;
  maxEventBytes: number;
  pollsPerExecution: number;
  resultsTopic?: string;
  defaultTarget: { subscriptionId?: string; resourceGroup?: string; location?: string };
  jobIdentityId?: string;
  armEndpoint: string;
  /** `default` = DefaultAzureCredential (managed identity `azureClientId`); `emulator` = static token for the local ACI emulator. */
  armCredential: ArmCredentialKind;
  azureClientId?: string;
  keyVaultUri?: string;
  /**
   * DISPATCH_SIGNING_KEY (+ DISPATCH_SIGNING_KEY_PREVIOUS during a rotation): signs the dispatch-* properties of
   * the app's own copies and keys their MessageIds. Never log this.
   */
  signingKeys: SigningKeys;
  /** Job callbacks: the signing key (never logged) and the base URL jobs call back to. */
  callbacks: CallbackSettings;
  /** The orphan sweeper: its timer schedule (NCRONTAB or hh:mm:ss) and grace period. */
  sweep: SweepSettings;
  /** App Insights connection string (metrics export); absent offline, where metrics stay in-process. */
  appInsightsConnectionString?: string;
  /** Blob and Table storage of the app's own data (job logs, event ledger). */
  storage: StorageSettings;
  /** True when running in Azure App Service / Functions (WEBSITE_INSTANCE_ID is set by the platform). */
  runningInAzure: boolean;
  /** Capacity admission (DISPATCH_ADMISSION_*). */
  admission: AdmissionSettings;
  /** The raw app settings, for route `secretEnv` references of the `appSetting` kind. Never log this. */
  appSettings: Readonly<Record<string, string | undefined>>;
}

export type SettlementMode = 'classic' | 'sdk';
export type ArmCredentialKind = 'default' | 'emulator';

/** Either a connection string (local emulator) or an identity-based namespace (Azure). */
export type ServiceBusConnectionSettings =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; fullyQualifiedNamespace: string; clientId?: string };

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9._\-/~]{0,259}$/;
const IDENTITY_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;

/**
 * Reads and validates every setting. Empty strings count as unset (local.settings.json lists optional settings
 * with ""). Throws ConfigError whose `issues` name each missing or bad setting and what was expected.
 */
export function loadSettings(env: Readonly<Record<string, string | undefined>> = process.env): Settings {
  const issues: string[] = [];
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const runningInAzure = get('WEBSITE_INSTANCE_ID') !== undefined;
  const requiredInAzure = (name: string): string | undefined => {
    const value = get(name);
    if (value === undefined && runningInAzure) issues.push(`${name}: required when running in Azure`);
    return value;
  };

  const runtime = get('FUNCTIONS_WORKER_RUNTIME');
  if (runtime !== undefined && runtime !== 'node')
    issues.push(`FUNCTIONS_WORKER_RUNTIME: expected "node", got "${runtime}"`);

  const durableTaskHub = get('DURABLE_TASK_HUB');
  if (durableTaskHub === undefined)
    issues.push('DURABLE_TASK_HUB: required, expected a task hub name (letters and digits, 3-45 characters)');
  else if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(durableTaskHub)) {
    issues.push(
      `DURABLE_TASK_HUB: expected letters and digits only, starting with a letter, 3-45 characters, got "${durableTaskHub}"`,
    );
  }

  const serviceBus = readServiceBus(get, issues);

  const queueName = get('DISPATCH_QUEUE_NAME') ?? 'dispatch';
  if (!ENTITY_NAME.test(queueName))
    issues.push(`DISPATCH_QUEUE_NAME: expected a Service Bus queue name, got "${queueName}"`);

  const routesFile = get('DISPATCH_ROUTES_FILE') ?? 'routes.json';

  const mode = get('DISPATCH_SETTLEMENT_MODE') ?? 'classic';
  if (mode !== 'classic' && mode !== 'sdk')
    issues.push(`DISPATCH_SETTLEMENT_MODE: expected "classic" or "sdk", got "${mode}"`);

  const maxEventBytes = readInteger(
    get,
    issues,
    'DISPATCH_MAX_EVENT_BYTES',
    262_144,
    1024,
    100 * 1024 * 1024,
  );
  const pollsPerExecution = readInteger(
    get,
    issues,
    'DISPATCH_POLLS_PER_EXECUTION',
    DEFAULT_POLLS_PER_EXECUTION,
    1,
    1000,
  );

  const resultsTopic = get('DISPATCH_RESULTS_TOPIC');
  if (resultsTopic !== undefined && !ENTITY_NAME.test(resultsTopic)) {
    issues.push(`DISPATCH_RESULTS_TOPIC: expected a Service Bus topic name, got "${resultsTopic}"`);
  }

  const subscriptionId = requiredInAzure('DISPATCH_DEFAULT_SUBSCRIPTION_ID');
  if (subscriptionId !== undefined && !GUID.test(subscriptionId)) {
    issues.push(
      `DISPATCH_DEFAULT_SUBSCRIPTION_ID: expected a subscription id (GUID), got "${subscriptionId}"`,
    );
  }
  const resourceGroup = requiredInAzure('DISPATCH_DEFAULT_RESOURCE_GROUP');
  if (resourceGroup !== undefined && !/^[-\w.()]{0,89}[-\w()]$/.test(resourceGroup)) {
    issues.push(`DISPATCH_DEFAULT_RESOURCE_GROUP: expected a resource group name, got "${resourceGroup}"`);
  }
  const location = requiredInAzure('DISPATCH_DEFAULT_LOCATION');
  if (location !== undefined && !/^[a-z0-9]+$/.test(location)) {
    issues.push(
      `DISPATCH_DEFAULT_LOCATION: expected an Azure region name such as "westeurope", got "${location}"`,
    );
  }

  const jobIdentityId = get('DISPATCH_JOB_IDENTITY_ID');
  if (jobIdentityId !== undefined && !IDENTITY_ID.test(jobIdentityId)) {
    issues.push(
      `DISPATCH_JOB_IDENTITY_ID: expected a user-assigned identity resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>), got "${jobIdentityId}"`,
    );
  }

  const armEndpoint = get('ARM_ENDPOINT') ?? 'https://management.azure.com';
  const armUrl = parseUrl(armEndpoint);
  if (!armUrl || armUrl.protocol !== 'https:')
    issues.push(`ARM_ENDPOINT: expected an https URL, got "${armEndpoint}"`);

  const armCredential = get('ARM_CREDENTIAL') ?? 'default';
  if (armCredential !== 'default' && armCredential !== 'emulator') {
    issues.push(`ARM_CREDENTIAL: expected "default" or "emulator", got "${armCredential}"`);
  } else if (armCredential === 'emulator' && !isLoopbackHttpsEndpoint(armEndpoint)) {
    // A dummy token must never be sent anywhere but the local emulator.
    issues.push(
      `ARM_CREDENTIAL: "emulator" is only allowed with a loopback https ARM_ENDPOINT (https://127.0.0.1:<port>), got "${armEndpoint}"`,
    );
  }

  const azureClientId = requiredInAzure('AZURE_CLIENT_ID');
  if (azureClientId !== undefined && !GUID.test(azureClientId))
    issues.push(`AZURE_CLIENT_ID: expected a client id (GUID), got "${azureClientId}"`);

  const keyVaultUri = get('KEY_VAULT_URI');
  if (keyVaultUri !== undefined && parseUrl(keyVaultUri)?.protocol !== 'https:') {
    issues.push(
      `KEY_VAULT_URI: expected an https vault URI such as https://myvault.vault.azure.net, got "${keyVaultUri}"`,
    );
  }

  const signingKeys = readSigningKeys(get, issues);
  const callbacks = readCallbackSettings(get, issues, runningInAzure);
  const admission = readAdmissionSettings(get, issues);
  const sweep = readSweepSettings(get, issues);
  const appInsightsConnectionString = get('APPLICATIONINSIGHTS_CONNECTION_STRING');
  const storage = readStorageSettings(get, issues, runningInAzure);

  if (issues.length > 0) {
    throw new ConfigError(`invalid settings:\n${issues.map((i) => `  ${i}`).join('\n')}`, issues);
  }
  return {
    durableTaskHub: durableTaskHub!,
    serviceBus: serviceBus!,
    queueName,
    routesFile,
    settlementMode: mode as SettlementMode,
    maxEventBytes,
    pollsPerExecution,
    ...(resultsTopic !== undefined ? { resultsTopic } : {}),
    defaultTarget: {
      ...(subscriptionId !== undefined ? { subscriptionId } : {}),
      ...(resourceGroup !== undefined ? { resourceGroup } : {}),
      ...(location !== undefined ? { location } : {}),
    },
    ...(jobIdentityId !== undefined ? { jobIdentityId } : {}),
    armEndpoint: armEndpoint.replace(/\/+$/, ''),
    armCredential: armCredential as ArmCredentialKind,
    ...(azureClientId !== undefined ? { azureClientId } : {}),
    ...(keyVaultUri !== undefined ? { keyVaultUri } : {}),
    signingKeys: signingKeys!,
    callbacks,
    sweep,
    ...(appInsightsConnectionString !== undefined ? { appInsightsConnectionString } : {}),
    storage,
    runningInAzure,
    admission,
    appSettings: Object.freeze(withoutSigningKeys(env)),
  };
}

function readServiceBus(
  get: (name: string) => string | undefined,
  issues: string[],
): ServiceBusConnectionSettings | undefined {
  const connectionString = get('ServiceBusConnection');
  const namespace = get('ServiceBusConnection__fullyQualifiedNamespace');
  const credential = get('ServiceBusConnection__credential');
  const clientId = get('ServiceBusConnection__clientId');
  if (credential !== undefined && credential !== 'managedidentity') {
    issues.push(`ServiceBusConnection__credential: expected "managedidentity", got "${credential}"`);
  }
  if (clientId !== undefined && !GUID.test(clientId))
    issues.push(`ServiceBusConnection__clientId: expected a client id (GUID), got "${clientId}"`);
  if (connectionString !== undefined) {
    const issue = connectionStringIssue(connectionString);
    if (issue !== undefined) {
      issues.push(issue);
      return undefined;
    }
    return { kind: 'connectionString', connectionString };
  }
  if (namespace !== undefined) {
    const issue = namespaceIssue(namespace);
    if (issue !== undefined) {
      issues.push(issue);
      return undefined;
    }
    return {
      kind: 'identity',
      fullyQualifiedNamespace: namespace,
      ...(clientId !== undefined ? { clientId } : {}),
    };
  }
  issues.push(
    'ServiceBusConnection: required, expected ServiceBusConnection (connection string, local emulator) or ServiceBusConnection__fullyQualifiedNamespace (identity-based, Azure)',
  );
  return undefined;
}

function readInteger(
  get: (name: string) => string | undefined,
  issues: string[],
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = get(name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    issues.push(`${name}: expected an integer from ${min} to ${max}, got "${text}"`);
    return fallback;
  }
  return Number(text);
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
