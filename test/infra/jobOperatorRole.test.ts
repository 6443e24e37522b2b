import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { startAciEmulator, type RunningAciEmulator } from '../../devhost/aci/startAciEmulator';
import {
  compileMutants,
  evaluate,
  loadCompiledTemplate,
  resourcesOfType,
  type ArmTemplate,
} from './armTemplate';
import {
  AciJobProvider,
  EmulatorCredential,
  noMetrics,
  sweepOrphans,
  type JobSpec,
  type JobTarget,
} from './productCode';

// The job operator custom role must list exactly the ARM actions the ACI job provider and the
// orphan sweeper need. The provider runs a job's whole life (create, reuse, status, logs, stop, delete, the long-running
// operation polls) against the ACI emulator, which answers like ARM (same paths, same
// Azure-AsyncOperation URLs); every request is recorded and mapped to its RBAC action.

/**
 * ARM's mapping of a request to an action: the provider namespace, then the resource types of the
 * path (the segments between names), then read/write/delete by HTTP method, or `<name>/action` for
 * a POST to a resource's action segment.
 */
function armAction(method: string, path: string): string {
  const match = /\/providers\/([^/]+)\/(.+)$/i.exec(path);
  if (!match) throw new Error(`not a provider request: ${method} ${path}`);
  const [, namespace, rest] = match as unknown as [string, string, string];
  const segments = rest.split('/');
  const types = segments.filter((_, i) => i % 2 === 0);
  if (method === 'POST') {
    if (segments.length % 2 === 0) throw new Error(`POST to a resource, not an action: ${path}`);
    return `${namespace}/${types.join('/')}/action`;
  }
  const verb = { GET: 'read', HEAD: 'read', PUT: 'write', PATCH: 'write', DELETE: 'delete' }[method];
  if (!verb) throw new Error(`unexpected method ${method} ${path}`);
  return `${namespace}/${types.join('/')}/${verb}`;
}

function roleActions(t: ArmTemplate): string[] {
  const roles = resourcesOfType(t, 'Microsoft.Authorization/roleDefinitions');
  if (roles.length !== 1) throw new Error(`expected one custom role, found ${roles.length}`);
  const [role] = roles;
  const permissions = evaluate(role!.scope, role!.resource.properties?.permissions) as { actions: unknown }[];
  const actions = evaluate(role!.scope, permissions[0]?.actions);
  if (!Array.isArray(actions)) throw new Error('the custom role actions are not a literal list');
  return (actions as string[]).slice().sort();
}

function roleViolations(t: ArmTemplate, used: string[]): string[] {
  const granted = roleActions(t);
  return [
    ...granted.filter((a) => !used.includes(a)).map((a) => `granted but never called: ${a}`),
    ...used.filter((a) => !granted.includes(a)).map((a) => `called but not granted: ${a}`),
  ];
}

const target: JobTarget = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg-dispatcher-jobs',
  location: 'westeurope',
};
const jobIdentity = `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-job`;

function spec(name: string, script: string): JobSpec {
  return {
    name,
    instanceId: `${name}-instance`,
    route: 'thumbnails',
    eventId: 'evt-1',
    attempt: 1,
    image: 'example.azurecr.io/jobs/thumbnails:1',
    command: [process.execPath, '-e', script],
    cpu: 1,
    memoryInGB: 1.5,
    env: {},
    secureEnv: {},
    eventDelivery: 'env',
    eventJson: '{"specversion":"1.0","id":"evt-1","source":"/t","type":"t"}',
    identityResourceId: jobIdentity,
  };
}

let emulator: RunningAciEmulator;
const requests: { method: string; path: string }[] = [];
const recorder: PipelinePolicy = {
  name: 'recordArmRequests',
  sendRequest(request, next) {
    requests.push({ method: request.method, path: new URL(request.url).pathname });
    return next(request);
  },
};

beforeAll(async () => {
  emulator = await startAciEmulator({ port: 0, imagePullTimeoutMs: 60_000, killGraceMs: 500 });
});

afterAll(async () => {
  await emulator?.close();
});

describe('job operator custom role', () => {
  let used: string[];

  beforeAll(async () => {
    // perRetry: every request that goes on the wire, LRO polls included.
    const provider = new AciJobProvider({
      credential: new EmulatorCredential(),
      endpoint: emulator.endpoint,
      identityResourceId: jobIdentity,
      clientOptions: {
        tlsOptions: { ca: emulator.caCertPem },
        additionalPolicies: [{ policy: recorder, position: 'perRetry' }],
      },
      pollIntervalMs: 100,
    });
    const name = `role-${process.pid}`;
    const job = spec(name, "console.log('working'); setTimeout(() => {}, 30000);");
    await provider.create(job, target);
    await provider.create(job, target); // reuse: looks the group up
    await provider.status(name, target);
    await provider.logs(name, target, 10);
    await provider.stop(name, target);
    await provider.delete(name, target);
    await provider.status(name, target); // a missing group
    // The orphan sweeper: lists the resource group, stops and deletes an overdue job's group.
    const overdue = `role-overdue-${process.pid}`;
    await provider.create(spec(overdue, 'setTimeout(() => {}, 30000);'), target);
    const report = await sweepOrphans({
      inventory: provider,
      jobProvider: provider,
      findAttempt: () =>
        Promise.resolve({
          runtimeStatus: 'Running',
          lastUpdatedTime: new Date(),
          customStatus: { deadline: new Date(Date.now() - 3_600_000).toISOString() },
        }),
      targets: [target],
      graceMs: 60_000,
      now: () => Date.now(),
      metrics: noMetrics,
      log: () => undefined,
    });
    expect(report).toMatchObject({ examined: 1, stoppedOverdue: 1, failed: 0 });
    used = [...new Set(requests.map((r) => armAction(r.method, r.path)))].sort();
  });

  it('maps requests to actions the way ARM does', () => {
    expect(
      armAction(
        'POST',
        '/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerInstance/containerGroups/j/stop',
      ),
    ).toBe('Microsoft.ContainerInstance/containerGroups/stop/action');
    expect(
      armAction(
        'GET',
        '/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerInstance/containerGroups/j/containers/c/logs',
      ),
    ).toBe('Microsoft.ContainerInstance/containerGroups/containers/logs/read');
    expect(
      armAction(
        'GET',
        '/subscriptions/s/providers/Microsoft.ContainerInstance/locations/westeurope/operations/1',
      ),
    ).toBe('Microsoft.ContainerInstance/locations/operations/read');
  });

  it('records the whole job life cycle, including the long-running operation polls', () => {
    expect(requests.length).toBeGreaterThan(6);
    expect(used).toEqual(
      expect.arrayContaining([
        'Microsoft.ContainerInstance/containerGroups/write',
        'Microsoft.ContainerInstance/locations/operations/read',
      ]),
    );
    // The sweeper's list of the resource group: a GET on the collection, containerGroups/read.
    expect(requests).toContainEqual({
      method: 'GET',
      path: `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/Microsoft.ContainerInstance/containerGroups`,
    });
  });

  it('grants exactly the actions the provider calls', () => {
    expect(roleViolations(loadCompiledTemplate(), used)).toEqual([]);
  });

  it('fails on a role with an unused action, and on one missing a used action', () => {
    const mutants = compileMutants([
      {
        name: 'unused',
        file: 'app/jobs.bicep',
        from: "  'Microsoft.ContainerInstance/containerGroups/stop/action'\n",
        to: "  'Microsoft.ContainerInstance/containerGroups/stop/action'\n  'Microsoft.ContainerInstance/containerGroups/restart/action'\n",
      },
      {
        name: 'missing',
        file: 'app/jobs.bicep',
        from: "  'Microsoft.ContainerInstance/locations/operations/read'\n",
        to: '',
      },
    ]);
    expect(roleViolations(mutants.get('unused')!, used)).toEqual([
      'granted but never called: Microsoft.ContainerInstance/containerGroups/restart/action',
    ]);
    expect(roleViolations(mutants.get('missing')!, used)).toEqual([
      'called but not granted: Microsoft.ContainerInstance/locations/operations/read',
    ]);
  });
});
