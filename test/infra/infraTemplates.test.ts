import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isExpression, parseArmExpression, referencedName, type ArmExpr } from './armExpression';
import {
  compileMutants,
  evaluate,
  expandedText,
  loadCompiledTemplate,
  moduleScope,
  propertyOf,
  repoRoot,
  resolveValue,
  resourcesOfType,
  type ArmTemplate,
  type Mutation,
  type TemplateScope,
} from './armTemplate';
import { loadSettings } from './productCode';
import { settingsContract } from './settingsContract';

// Policy checks over the ARM JSON the Bicep compiler produced (dist/infra/main.json). Each check is
// a function returning its violations; every check runs once on the real template (no
// violations) and once on a mutant of infra/ that breaks exactly what it guards (violations).

const template = loadCompiledTemplate();

// ---------------------------------------------------------------------------------------------
// App settings: the real settings loader must accept what the template sets
// ---------------------------------------------------------------------------------------------

/** Key -> value expression of an object-valued expression (createObject, union, if branches, variables). */
function objectEntries(scope: TemplateScope, value: unknown): Map<string, unknown> {
  const entries = new Map<string, unknown>();
  const visit = (v: unknown): void => {
    const resolved = resolveValue(scope, v);
    if (resolved && typeof resolved === 'object') {
      for (const [k, x] of Object.entries(resolved)) entries.set(k, x);
      return;
    }
    if (typeof resolved === 'string') visitExpr(parseArmExpression(resolved));
  };
  const visitExpr = (e: ArmExpr): void => {
    if (e.kind !== 'call') return;
    if (e.name === 'createobject') {
      for (let i = 0; i + 1 < e.args.length; i += 2) {
        const key = e.args[i];
        if (key?.kind === 'string') entries.set(key.value, e.args[i + 1]);
      }
    } else if (e.name === 'union') e.args.forEach(visitExpr);
    else if (e.name === 'if') e.args.slice(1).forEach(visitExpr);
    else if (e.name === 'variables') visit(scope.template.variables?.[referencedName(e, 'variables')!]);
  };
  visit(value);
  return entries;
}

/** The literal a setting will have for the default parameters, or undefined when computed in Azure. */
function literalSetting(scope: TemplateScope, value: unknown): string | undefined {
  const v = evaluate(scope, value);
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return undefined;
  return String(v).includes('<computed>') ? undefined : String(v);
}

/** What values computed at deployment time look like in Azure (ids, host names, the region). */
const DEPLOYED_SHAPES: Record<string, string> = {
  AzureWebJobsStorage__accountName: 'stexample',
  AzureWebJobsStorage__clientId: '11111111-1111-1111-1111-111111111111',
  ServiceBusConnection__fullyQualifiedNamespace: 'sb-example.servicebus.windows.net',
  ServiceBusConnection__clientId: '11111111-1111-1111-1111-111111111111',
  AZURE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
  DISPATCH_QUEUE_NAME: 'dispatch',
  DISPATCH_DEFAULT_SUBSCRIPTION_ID: '22222222-2222-2222-2222-222222222222',
  DISPATCH_DEFAULT_RESOURCE_GROUP: 'rg-example-jobs',
  DISPATCH_DEFAULT_LOCATION: 'westeurope',
  DISPATCH_JOB_IDENTITY_ID:
    '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-example-jobs/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-job-example',
  ARM_ENDPOINT: 'https://management.azure.com/',
  KEY_VAULT_URI: 'https://kv-example.vault.azure.net/',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=https://dts.example;Authentication=ManagedIdentity',
  DispatchStorage__blobServiceUri: 'https://stexample.blob.core.windows.net/',
  DispatchStorage__tableServiceUri: 'https://stexample.table.core.windows.net/',
  DISPATCH_JOB_LOGS_CONTAINER: 'job-logs',
  DISPATCH_LEDGER_TABLE: 'dispatchledger',
  // A Key Vault reference: the platform hands the app the secret the postprovision hook created (base64, 32 bytes).
  DISPATCH_SIGNING_KEY: Buffer.alloc(32, 7).toString('base64'),
};

function appSettingViolations(t: ArmTemplate): string[] {
  const functionApp = moduleScope(t, 'functionApp');
  const settings = objectEntries(functionApp.parent!, functionApp.passed.appSettings?.value);
  // WEBSITE_INSTANCE_ID is set by the platform and makes the loader apply its Azure-only rules.
  const env: Record<string, string> = { WEBSITE_INSTANCE_ID: 'platform' };
  const violations: string[] = [];
  for (const [name, value] of settings) {
    const literal = literalSetting(functionApp.parent!, value);
    const shaped = literal ?? DEPLOYED_SHAPES[name];
    if (shaped === undefined && !/^(APPLICATIONINSIGHTS_|AzureFunctionsJobHost__)/.test(name)) {
      violations.push(`${name}: computed at deployment time; add its Azure shape to DEPLOYED_SHAPES`);
    }
    env[name] = shaped ?? 'computed';
  }
  try {
    loadSettings(env);
  } catch (err) {
    violations.push(`settings loader: ${(err as Error).message}`);
  }
  const { required } = settingsContract(repoRoot);
  const identityForms: Record<string, string> = {
    ServiceBusConnection: 'ServiceBusConnection__fullyQualifiedNamespace',
    AzureWebJobsStorage: 'AzureWebJobsStorage__accountName',
  };
  for (const name of required) {
    if (!settings.has(identityForms[name] ?? name))
      violations.push(`${name}: docs/settings.md requires it in Azure`);
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// No keys, local auth off
// ---------------------------------------------------------------------------------------------

const KEY_PATTERNS = [
  /\blist[A-Za-z]*\(/, // listKeys(), listConnectionStrings(), listCredentials(), listSecrets(), ...
  /SharedAccessKey/i,
  /AccountKey=/i,
  /\b(primary|secondary)(Master)?Key\b/i,
  /\bconnectionStrings?\b"\s*:/i, // a connectionStrings property (site config) or a connection string output
];

function keyViolations(t: ArmTemplate): string[] {
  const text = JSON.stringify(t, null, 1);
  return KEY_PATTERNS.filter((p) => p.test(text)).map((p) => `compiled template matches ${String(p)}`);
}

/** Per data-service type: the property path that must have the given value. */
const LOCAL_AUTH_RULES: { type: string; path: string[]; expected: unknown }[] = [
  {
    type: 'Microsoft.Storage/storageAccounts',
    path: ['properties', 'allowSharedKeyAccess'],
    expected: false,
  },
  {
    type: 'Microsoft.Storage/storageAccounts',
    path: ['properties', 'allowBlobPublicAccess'],
    expected: false,
  },
  { type: 'Microsoft.ServiceBus/namespaces', path: ['properties', 'disableLocalAuth'], expected: true },
  { type: 'Microsoft.Insights/components', path: ['properties', 'DisableLocalAuth'], expected: true },
  {
    type: 'Microsoft.OperationalInsights/workspaces',
    path: ['properties', 'features', 'disableLocalAuth'],
    expected: true,
  },
  { type: 'Microsoft.KeyVault/vaults', path: ['properties', 'enableRbacAuthorization'], expected: true },
  {
    type: 'Microsoft.ContainerRegistry/registries',
    path: ['properties', 'adminUserEnabled'],
    expected: false,
  },
  {
    type: 'Microsoft.ContainerRegistry/registries',
    path: ['properties', 'anonymousPullEnabled'],
    expected: false,
  },
  {
    type: 'Microsoft.Web/sites/basicPublishingCredentialsPolicies',
    path: ['properties', 'allow'],
    expected: false,
  },
];

function localAuthViolations(t: ArmTemplate): string[] {
  const violations: string[] = [];
  for (const rule of LOCAL_AUTH_RULES) {
    const found = resourcesOfType(t, rule.type).filter((r) => !r.resource.existing);
    if (found.length === 0) violations.push(`${rule.type}: not in the template any more (update the rule)`);
    for (const r of found) {
      const actual = propertyOf(r, ...rule.path);
      if (actual !== rule.expected) {
        violations.push(
          `${r.where}: ${rule.path.join('.')} is ${JSON.stringify(actual)}, expected ${String(rule.expected)}`,
        );
      }
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// Role assignments
// ---------------------------------------------------------------------------------------------

const BROAD_ROLES = [
  'b24988ac-6180-42a0-ab88-20f7382dd24c', // Contributor
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', // Owner
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', // User Access Administrator
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168', // Role Based Access Control Administrator
];

function roleAssignmentViolations(t: ArmTemplate): string[] {
  const violations: string[] = [];
  const assignments = resourcesOfType(t, 'Microsoft.Authorization/roleAssignments');
  if (assignments.length < 10) violations.push(`only ${assignments.length} role assignments found`);
  for (const a of assignments) {
    const name = isExpression(a.resource.name) ? parseArmExpression(a.resource.name) : undefined;
    // guid(scope id, principal, role): the same grant gets the same name on every redeployment.
    if (!name || name.kind !== 'call' || name.name !== 'guid' || name.args.length !== 3) {
      violations.push(`${a.where}: name ${String(a.resource.name)} is not guid(scope, principal, role)`);
    }
    const principal = String(a.resource.properties?.principalId);
    const type = a.resource.properties?.principalType;
    const operator = /parameters\('operatorPrincipalId'\)/.test(principal);
    if (operator ? type !== "[parameters('operatorPrincipalType')]" : type !== 'ServicePrincipal') {
      violations.push(`${a.where}: principalType ${JSON.stringify(type)} for principal ${principal}`);
    }
  }
  const text = JSON.stringify(t);
  for (const role of BROAD_ROLES) if (text.includes(role)) violations.push(`grants broad role ${role}`);
  return violations;
}

// ---------------------------------------------------------------------------------------------
// Service Bus entities equal to the offline stack's (devhost/config/servicebus.Config.json)
// ---------------------------------------------------------------------------------------------

interface EmulatorEntity {
  Name: string;
  Properties: Record<string, unknown>;
  Subscriptions?: EmulatorEntity[];
}

const emulatorNamespace = (
  JSON.parse(readFileSync(join(repoRoot, 'devhost', 'config', 'servicebus.Config.json'), 'utf8')) as {
    UserConfig: { Namespaces: { Queues: EmulatorEntity[]; Topics: EmulatorEntity[] }[] };
  }
).UserConfig.Namespaces[0]!;

/** Properties compared (the emulator caps time-to-live at PT1H, so TTLs are not). */
const QUEUE_PROPS = [
  'MaxDeliveryCount',
  'LockDuration',
  'RequiresDuplicateDetection',
  'DuplicateDetectionHistoryTimeWindow',
  'DeadLetteringOnMessageExpiration',
  'RequiresSession',
];
const SUBSCRIPTION_PROPS = [
  'MaxDeliveryCount',
  'LockDuration',
  'DeadLetteringOnMessageExpiration',
  'ForwardTo',
  'RequiresSession',
];

function camel(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}

function serviceBusViolations(t: ArmTemplate): string[] {
  const violations: string[] = [];
  // Child names compile to format('{0}/{1}', parent, child): the last segment is the entity.
  const nameOf = (r: ReturnType<typeof resourcesOfType>[number]): string =>
    String(evaluate(r.scope, r.resource.name)).split('/').pop()!;
  const compare = (
    what: string,
    entity: EmulatorEntity,
    r: ReturnType<typeof resourcesOfType>[number],
    props: string[],
  ): void => {
    for (const prop of props) {
      let actual = propertyOf(r, 'properties', camel(prop));
      if (prop === 'ForwardTo' && actual === undefined) actual = '';
      const expected = entity.Properties[prop];
      if (actual !== expected)
        violations.push(
          `${what}: ${prop} is ${JSON.stringify(actual)}, the offline stack has ${JSON.stringify(expected)}`,
        );
    }
  };
  const queues = resourcesOfType(t, 'Microsoft.ServiceBus/namespaces/queues').filter(
    (r) => !r.resource.existing,
  );
  for (const q of emulatorNamespace.Queues) {
    const r = queues.find((x) => nameOf(x) === q.Name);
    if (!r) violations.push(`queue ${q.Name}: missing`);
    else compare(`queue ${q.Name}`, q, r, QUEUE_PROPS);
  }
  const topics = resourcesOfType(t, 'Microsoft.ServiceBus/namespaces/topics').filter(
    (r) => !r.resource.existing,
  );
  const subscriptions = resourcesOfType(t, 'Microsoft.ServiceBus/namespaces/topics/subscriptions');
  for (const topic of emulatorNamespace.Topics) {
    if (!topics.some((x) => nameOf(x) === topic.Name)) violations.push(`topic ${topic.Name}: missing`);
    for (const s of topic.Subscriptions ?? []) {
      const r = subscriptions.find((x) => nameOf(x) === s.Name);
      if (!r) violations.push(`subscription ${topic.Name}/${s.Name}: missing`);
      else compare(`subscription ${topic.Name}/${s.Name}`, s, r, SUBSCRIPTION_PROPS);
      if (r && propertyOf(r, 'properties', 'defaultMessageTimeToLive') === undefined) {
        violations.push(`subscription ${topic.Name}/${s.Name}: no time to live`);
      }
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// Hosting, monitoring and operator access
// ---------------------------------------------------------------------------------------------

function hostingViolations(t: ArmTemplate): string[] {
  const violations: string[] = [];
  const [site] = resourcesOfType(t, 'Microsoft.Web/sites');
  const runtime = site && propertyOf(site, 'properties', 'functionAppConfig', 'runtime');
  const version = site && propertyOf(site, 'properties', 'functionAppConfig', 'runtime', 'version');
  if ((runtime as { name?: string } | undefined)?.name !== 'node' || version !== '22') {
    violations.push(
      `Function App runtime is ${JSON.stringify(runtime)} (version ${String(version)}), expected node 22`,
    );
  }
  const [plan] = resourcesOfType(t, 'Microsoft.Web/serverfarms');
  if (!plan || propertyOf(plan, 'sku', 'name') !== 'FC1') violations.push('plan is not Flex Consumption FC1');
  const settings = site
    ? objectEntries(
        moduleScope(t, 'functionApp').parent!,
        moduleScope(t, 'functionApp').passed.appSettings?.value,
      )
    : new Map();
  if (settings.has('FUNCTIONS_WORKER_RUNTIME'))
    violations.push('FUNCTIONS_WORKER_RUNTIME is rejected by Flex Consumption');
  return violations;
}

/** Diagnostic settings to Log Analytics on these resource types, with these log categories. */
const DIAGNOSTICS: Record<string, string[]> = {
  'Microsoft.ServiceBus/namespaces': ['allLogs'],
  'Microsoft.KeyVault/vaults': ['AuditEvent'],
  'Microsoft.Storage/storageAccounts/blobServices': ['allLogs'],
  'Microsoft.Storage/storageAccounts/queueServices': ['allLogs'],
  'Microsoft.Storage/storageAccounts/tableServices': ['allLogs'],
  'Microsoft.Web/sites': ['FunctionAppLogs'],
};

function monitoringViolations(t: ArmTemplate): string[] {
  const violations: string[] = [];
  const settings = resourcesOfType(t, 'Microsoft.Insights/diagnosticSettings');
  for (const [type, categories] of Object.entries(DIAGNOSTICS)) {
    const targets = resourcesOfType(t, type).filter((r) => !r.resource.existing);
    for (const target of targets) {
      // A diagnostic setting is scoped to resourceId('<type>', <name segments>) in the same module.
      const setting = settings.find((d) => {
        const scopeExpr = isExpression(d.resource.scope) ? parseArmExpression(d.resource.scope) : undefined;
        const first =
          scopeExpr?.kind === 'call' && scopeExpr.name === 'resourceid' ? scopeExpr.args[0] : undefined;
        return d.scope.path === target.scope.path && first?.kind === 'string' && first.value === type;
      });
      const logs = ((setting && propertyOf(setting, 'properties', 'logs')) ?? []) as {
        category?: string;
        categoryGroup?: string;
      }[];
      const workspace = setting && String(propertyOf(setting, 'properties', 'workspaceId'));
      for (const c of categories) {
        if (!logs.some((l) => (l.category ?? l.categoryGroup) === c))
          violations.push(`${target.where}: no diagnostic setting sending ${c}`);
      }
      if (
        setting &&
        !/logAnalyticsWorkspaceResourceId|Microsoft\.OperationalInsights\/workspaces/.test(workspace ?? '')
      ) {
        violations.push(`${target.where}: diagnostics go to ${workspace}, not the Log Analytics workspace`);
      }
    }
  }
  const metricAlerts = resourcesOfType(t, 'Microsoft.Insights/metricAlerts');
  const deadLetter = metricAlerts.find((a) =>
    JSON.stringify(a.resource.properties).includes('"DeadletteredMessages"'),
  );
  if (!deadLetter || !JSON.stringify(deadLetter.resource.properties).includes('EntityName')) {
    violations.push('no alert on dead-lettered messages of the dispatch queue');
  }
  const queryAlerts = resourcesOfType(t, 'Microsoft.Insights/scheduledQueryRules');
  if (!queryAlerts.some((a) => /prop__state\) == \\"Failed\\"/.test(JSON.stringify(a.resource.properties)))) {
    violations.push('no alert on failed orchestrations');
  }
  for (const a of [...metricAlerts, ...queryAlerts]) {
    if (!/parameters\('actionGroupResourceId'\)/.test(expandedText(a)))
      violations.push(`${a.where}: does not use the action group parameter`);
  }
  return violations;
}

/** The operator (principalId) gets a data role on the Durable Task Scheduler, for its dashboard. */
function operatorViolations(t: ArmTemplate): string[] {
  const DURABLE_TASK_DATA_CONTRIBUTOR = '0ad04412-c4d5-4796-b79c-f76d14c8d402';
  const grants = resourcesOfType(t, 'Microsoft.Authorization/roleAssignments').filter(
    (a) =>
      /operatorPrincipalId/.test(String(a.resource.properties?.principalId)) &&
      String(evaluate(a.scope, a.resource.properties?.roleDefinitionId)).endsWith(
        DURABLE_TASK_DATA_CONTRIBUTOR,
      ),
  );
  return grants.length === 1 && /Microsoft\.DurableTask\/schedulers/.test(String(grants[0]!.resource.scope))
    ? []
    : ['the operator gets no Durable Task Data Contributor on the scheduler (its dashboard needs it)'];
}

// ---------------------------------------------------------------------------------------------
// The checks, each with the mutation that must break it
// ---------------------------------------------------------------------------------------------

const checks: {
  name: string;
  check: (t: ArmTemplate) => string[];
  mutation: Omit<Mutation, 'name'>;
  expect: RegExp;
}[] = [
  {
    name: 'sets every app setting the settings loader and docs/settings.md require in Azure',
    check: appSettingViolations,
    mutation: { file: 'main.bicep', from: '  DISPATCH_DEFAULT_LOCATION: effectiveJobLocation\n', to: '' },
    expect: /DISPATCH_DEFAULT_LOCATION/,
  },
  {
    name: 'has no listKeys(), keys or connection strings anywhere',
    check: keyViolations,
    mutation: {
      file: 'main.bicep',
      from: "  ARM_CREDENTIAL: 'default'\n",
      to: "  ARM_CREDENTIAL: 'default'\n  ServiceBusConnection: 'Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b'\n",
    },
    expect: /SharedAccessKey/,
  },
  {
    name: 'disables local auth and shared keys on every data service',
    check: localAuthViolations,
    mutation: {
      file: 'app/storage.bicep',
      from: 'allowSharedKeyAccess: false',
      to: 'allowSharedKeyAccess: true',
    },
    expect: /allowSharedKeyAccess is true/,
  },
  {
    name: 'names role assignments guid(scope, principal, role) with principal types, no broad roles',
    check: roleAssignmentViolations,
    mutation: {
      file: 'app/jobs.bicep',
      from: 'name: guid(resourceGroup().id, appPrincipalId, jobOperatorRole.id)',
      to: "name: '6f1c1d5e-0000-4000-8000-000000000001'",
    },
    expect: /is not guid/,
  },
  {
    name: 'gives the Service Bus entities the offline stack settings',
    check: serviceBusViolations,
    mutation: {
      file: 'main.bicep',
      from: 'param dispatchQueueMaxDeliveryCount int = 10',
      to: 'param dispatchQueueMaxDeliveryCount int = 5',
    },
    expect: /queue dispatch: MaxDeliveryCount is 5/,
  },
  {
    name: 'runs Node 22 on Flex Consumption',
    check: hostingViolations,
    mutation: {
      file: 'main.bicep',
      from: "param nodeVersion string = '22'",
      to: "param nodeVersion string = '20'",
    },
    expect: /expected node 22/,
  },
  {
    name: 'sends diagnostics to Log Analytics and alerts on dead letters and failed orchestrations',
    check: monitoringViolations,
    mutation: { file: 'app/keyVault.bicep', from: "category: 'AuditEvent'", to: "categoryGroup: 'audit'" },
    expect: /no diagnostic setting sending AuditEvent/,
  },
  {
    name: 'grants the operator Durable Task Data Contributor on the scheduler',
    check: operatorViolations,
    mutation: {
      file: 'app/rbac.bicep',
      from: 'if (hasOperator && useScheduler) {\n  name: guid(scheduler.id, operatorPrincipalId, roleIds.durableTaskDataContributor)\n  scope: scheduler',
      to: 'if (hasOperator && useScheduler) {\n  name: guid(vault.id, operatorPrincipalId, roleIds.durableTaskDataContributor)\n  scope: vault',
    },
    expect: /Durable Task Data Contributor/,
  },
];

const mutants = compileMutants(checks.map((c, i) => ({ name: `m${i}`, ...c.mutation })));

describe('compiled ARM template (dist/infra/main.json)', () => {
  it('is the Bicep compiler output of a subscription-scope deployment', () => {
    expect(String((template as unknown as { $schema: string }).$schema)).toMatch(
      /subscriptionDeploymentTemplate/,
    );
    expect(resourcesOfType(template, 'Microsoft.Resources/deployments').length).toBeGreaterThanOrEqual(10);
  });

  checks.forEach(({ name, check, expect: pattern }, i) => {
    describe(name, () => {
      it('holds for the template', () => {
        expect(check(template)).toEqual([]);
      });
      it('fails on the mutant', () => {
        const violations = check(mutants.get(`m${i}`)!);
        expect(violations).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
      });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// host.json: the traces the runbook's KQL and the failed-orchestration alert read are kept
// ---------------------------------------------------------------------------------------------

interface HostJson {
  logging?: {
    logLevel?: Record<string, string>;
    applicationInsights?: { samplingSettings?: { isEnabled?: boolean; excludedTypes?: string } };
  };
  extensions?: { durableTask?: { tracing?: Record<string, unknown> } };
}

function hostJsonViolations(host: HostJson): string[] {
  const violations: string[] = [];
  const sampling = host.logging?.applicationInsights?.samplingSettings;
  const excluded = (sampling?.excludedTypes ?? '').split(';');
  if (sampling?.isEnabled !== false) {
    for (const type of ['Trace', 'Exception']) {
      if (!excluded.includes(type)) violations.push(`sampling may drop ${type} telemetry (excludedTypes)`);
    }
  }
  const level = host.logging?.logLevel?.['Host.Triggers.DurableTask'] ?? host.logging?.logLevel?.default;
  if (!['Trace', 'Debug', 'Information'].includes(level ?? '')) {
    violations.push(
      `Host.Triggers.DurableTask logs at ${String(level)}: orchestration state traces are lost`,
    );
  }
  if (host.extensions?.durableTask?.tracing?.DistributedTracingEnabled !== true) {
    violations.push('Durable distributed tracing is off');
  }
  return violations;
}

describe('host.json', () => {
  const host = JSON.parse(readFileSync(join(repoRoot, 'host.json'), 'utf8')) as HostJson;

  it('keeps traces and exceptions out of sampling and durable tracing on', () => {
    expect(hostJsonViolations(host)).toEqual([]);
  });

  it('fails when sampling may drop traces', () => {
    const mutant = structuredClone(host);
    mutant.logging!.applicationInsights!.samplingSettings!.excludedTypes = 'Request';
    expect(hostJsonViolations(mutant)).toEqual([
      'sampling may drop Trace telemetry (excludedTypes)',
      'sampling may drop Exception telemetry (excludedTypes)',
    ]);
  });
});
