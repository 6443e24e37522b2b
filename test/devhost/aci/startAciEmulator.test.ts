import * as https from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import { isRestError, type RestError } from '@azure/core-rest-pipeline';
import {
  ContainerInstanceManagementClient,
  type Container,
  type ContainerGroup,
} from '@azure/arm-containerinstance';
import { startAciEmulator, type RunningAciEmulator } from '../../../devhost/aci/startAciEmulator';
import { trustEmulatorCertificate } from '../../../devhost/aci/trustEmulatorCertificate';

const SUBSCRIPTION = '00000000-0000-0000-0000-000000000001';
const RG = 'rg-jobs';
const API_VERSION = '2023-05-01';
const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'any-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

let emulator: RunningAciEmulator;
let client: ContainerInstanceManagementClient;
/** No SDK retries, so injected faults surface on the first call. */
let noRetryClient: ContainerInstanceManagementClient;

/** A container that runs `script` with this Node binary (argv, no shell). */
function nodeContainer(name: string, script: string, extra: Partial<Container> = {}): Container {
  return {
    name,
    image: 'local/node-script:1',
    command: [process.execPath, '-e', script],
    resources: { requests: { cpu: 0.5, memoryInGB: 0.5 } },
    ...extra,
  };
}

function group(containers: Container[], extra: Partial<ContainerGroup> = {}): ContainerGroup {
  return { location: 'westeurope', osType: 'Linux', restartPolicy: 'Never', containers, ...extra };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitForGroupState(name: string, states: string[]): Promise<ContainerGroup> {
  return waitFor(`${name} to reach ${states.join('/')}`, async () => {
    const g = await client.containerGroups.get(RG, name);
    return states.includes(g.instanceView?.state ?? '') ? g : undefined;
  });
}

async function expectRestError(promise: Promise<unknown>): Promise<RestError> {
  try {
    await promise;
  } catch (err) {
    if (isRestError(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail with a RestError');
}

function errorCode(err: RestError): string | undefined {
  return (err as RestError & { code?: string }).code;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** Plain HTTPS (trusting only the emulator's CA) for what the SDK hides: status codes, headers, raw bodies. */
function raw(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: 'localhost',
        port: emulator.port,
        method,
        path,
        ca: emulator.caCertPem,
        headers: {
          authorization: 'Bearer any-token',
          ...(data !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function armError(res: RawResponse): { code: string; message: string } {
  const body = res.json as { error?: { code: string; message: string } } | undefined;
  if (!body?.error) throw new Error(`expected an ARM error body, got: ${res.text}`);
  return body.error;
}

function groupPath(name: string, rg = RG): string {
  return `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${name}?api-version=${API_VERSION}`;
}

beforeAll(async () => {
  emulator = await startAciEmulator({
    images: { 'local/mapped-job:1': [process.execPath, '-e', 'console.log("from images map")'] },
    unavailableLocations: ['westus'],
    imagePullTimeoutMs: 1500,
    killGraceMs: 1000,
  });
  trustEmulatorCertificate(emulator.caCertPem);
  client = new ContainerInstanceManagementClient(credential, SUBSCRIPTION, { endpoint: emulator.endpoint });
  noRetryClient = new ContainerInstanceManagementClient(credential, SUBSCRIPTION, {
    endpoint: emulator.endpoint,
    retryOptions: { maxRetries: 0 },
  });
});

afterAll(async () => {
  await emulator?.close();
});

describe('ACI emulator through @azure/arm-containerinstance', () => {
  test('serves HTTPS on localhost', () => {
    expect(emulator.endpoint).toBe(`https://localhost:${emulator.port}`);
    expect(emulator.caCertPem).toContain('BEGIN CERTIFICATE');
  });

  test('PUT answers 201 Creating with an Azure-AsyncOperation that reaches Succeeded', async () => {
    // ARM wire shape (the SDK flattens `properties`).
    const put = await raw('PUT', groupPath('raw-lro'), {
      location: 'westeurope',
      properties: {
        osType: 'Linux',
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            properties: {
              image: 'local/node-script:1',
              command: [process.execPath, '-e', 'setTimeout(() => {}, 200)'],
              resources: { requests: { cpu: 1, memoryInGB: 1 } },
            },
          },
        ],
      },
    });
    expect(put.status).toBe(201);
    const body = put.json as { properties: { provisioningState: string } };
    expect(body.properties.provisioningState).toBe('Creating');
    const operationUrl = new URL(String(put.headers['azure-asyncoperation']));
    expect(operationUrl.pathname).toMatch(
      /\/providers\/Microsoft\.ContainerInstance\/locations\/westeurope\/operations\//,
    );
    expect(operationUrl.searchParams.get('api-version')).toBe(API_VERSION);
    const op = await waitFor('operation to succeed', async () => {
      const res = await raw('GET', operationUrl.pathname + operationUrl.search);
      const status = (res.json as { status: string }).status;
      return status === 'Succeeded' ? res : undefined;
    });
    expect(op.status).toBe(200);
  });

  test('create (LRO) -> Running -> Succeeded with exit code 0', async () => {
    const created = await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-ok',
      group([nodeContainer('main', 'setTimeout(() => console.log("done"), 300)')]),
    );
    expect(created.provisioningState).toBe('Succeeded');
    const running = await client.containerGroups.get(RG, 'job-ok');
    expect(['Running', 'Succeeded']).toContain(running.instanceView?.state);
    const done = await waitForGroupState('job-ok', ['Succeeded', 'Failed']);
    expect(done.instanceView?.state).toBe('Succeeded');
    const view = done.containers[0]?.instanceView;
    expect(view?.currentState?.state).toBe('Terminated');
    expect(view?.currentState?.exitCode).toBe(0);
    expect(view?.currentState?.detailStatus).toBe('Completed');
    expect(view?.currentState?.startTime).toBeInstanceOf(Date);
    expect(view?.currentState?.finishTime).toBeInstanceOf(Date);
    expect(view?.restartCount).toBe(0);
  });

  test('a non-zero exit code fails the group (restartPolicy Never)', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-fail',
      group([nodeContainer('main', 'process.exit(3)')]),
    );
    const done = await waitForGroupState('job-fail', ['Succeeded', 'Failed']);
    expect(done.instanceView?.state).toBe('Failed');
    expect(done.containers[0]?.instanceView?.currentState?.exitCode).toBe(3);
    expect(done.containers[0]?.instanceView?.currentState?.detailStatus).toBe('Error');
  });

  test('environment variables and secure values reach the process; secure values are never returned', async () => {
    const script = 'console.log("PLAIN=" + process.env.PLAIN); console.log("SECRET=" + process.env.SECRET)';
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-env',
      group([
        nodeContainer('main', script, {
          environmentVariables: [
            { name: 'PLAIN', value: 'plain-value' },
            { name: 'SECRET', secureValue: 's3cr3t-value' },
          ],
        }),
      ]),
    );
    await waitForGroupState('job-env', ['Succeeded', 'Failed']);
    const logs = await client.containers.listLogs(RG, 'job-env', 'main');
    expect(logs.content).toContain('PLAIN=plain-value');
    expect(logs.content).toContain('SECRET=s3cr3t-value');
    const got = await client.containerGroups.get(RG, 'job-env');
    const env = got.containers[0]?.environmentVariables ?? [];
    expect(env).toEqual([{ name: 'PLAIN', value: 'plain-value' }, { name: 'SECRET' }]);
    const rawGet = await raw('GET', groupPath('job-env'));
    expect(rawGet.text).not.toContain('s3cr3t-value');
    const rawList = await raw(
      'GET',
      `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.ContainerInstance/containerGroups?api-version=${API_VERSION}`,
    );
    expect(rawList.text).not.toContain('s3cr3t-value');
  });

  test('a secret volume is written and reachable through its mount path', async () => {
    const event = JSON.stringify({ id: 'evt-1', type: 'demo' });
    const script = [
      'const fs = require("node:fs"); const path = require("node:path");',
      'console.log("VIA_ENV=" + fs.readFileSync(process.env.EVENT_FILE, "utf8"));',
      'console.log("VIA_ROOT=" + fs.readFileSync(path.join(process.env.ACI_EMULATOR_MOUNT_ROOT, "/mnt/event/event.json"), "utf8"));',
      'console.log("VIA_ARG=" + fs.readFileSync(process.argv[1], "utf8"));',
    ].join('\n');
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-volume',
      group(
        [
          {
            ...nodeContainer('main', script),
            command: [process.execPath, '-e', script, '/mnt/event/event.json'],
            environmentVariables: [{ name: 'EVENT_FILE', value: '/mnt/event/event.json' }],
            volumeMounts: [{ name: 'event', mountPath: '/mnt/event', readOnly: true }],
          },
        ],
        { volumes: [{ name: 'event', secret: { 'event.json': Buffer.from(event).toString('base64') } }] },
      ),
    );
    const done = await waitForGroupState('job-volume', ['Succeeded', 'Failed']);
    const logs = await client.containers.listLogs(RG, 'job-volume', 'main');
    expect(logs.content).toContain(`VIA_ENV=${event}`);
    expect(logs.content).toContain(`VIA_ROOT=${event}`);
    expect(logs.content).toContain(`VIA_ARG=${event}`);
    expect(done.instanceView?.state).toBe('Succeeded');
    // ARM never echoes secret volume contents.
    expect((await raw('GET', groupPath('job-volume'))).text).not.toContain(
      Buffer.from(event).toString('base64'),
    );
  });

  test('logs support tail', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-logs',
      group([
        nodeContainer(
          'main',
          'for (let i = 1; i <= 10; i++) { console.log("line " + i); } console.error("to stderr");',
        ),
      ]),
    );
    await waitForGroupState('job-logs', ['Succeeded', 'Failed']);
    const all = await client.containers.listLogs(RG, 'job-logs', 'main');
    expect(all.content).toContain('line 1\n');
    expect(all.content).toContain('to stderr');
    const tail = await client.containers.listLogs(RG, 'job-logs', 'main', { tail: 3 });
    expect(tail.content).toBe('line 9\nline 10\nto stderr\n');
  });

  test('an image with no command runs the argv of the images map', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-mapped',
      group([
        { name: 'main', image: 'local/mapped-job:1', resources: { requests: { cpu: 1, memoryInGB: 1 } } },
      ]),
    );
    await waitForGroupState('job-mapped', ['Succeeded', 'Failed']);
    expect((await client.containers.listLogs(RG, 'job-mapped', 'main')).content).toBe('from images map\n');
  });

  test('stop kills a long-running container; start runs it again', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-sleep',
      group([nodeContainer('main', 'console.log("pid=" + process.pid); setTimeout(() => {}, 60000)')]),
    );
    await waitForGroupState('job-sleep', ['Running']);
    const pid = Number(
      await waitFor('pid in logs', async () => {
        const m = /pid=(\d+)/.exec((await client.containers.listLogs(RG, 'job-sleep', 'main')).content ?? '');
        return m?.[1];
      }),
    );
    const stopStarted = Date.now();
    await client.containerGroups.stop(RG, 'job-sleep');
    expect(Date.now() - stopStarted).toBeLessThan(5000);
    const stopped = await client.containerGroups.get(RG, 'job-sleep');
    expect(stopped.instanceView?.state).toBe('Stopped');
    expect(stopped.containers[0]?.instanceView?.currentState?.state).toBe('Terminated');
    expect(() => process.kill(pid, 0)).toThrow();
    await client.containerGroups.beginStartAndWait(RG, 'job-sleep');
    await waitForGroupState('job-sleep', ['Running']);
  });

  test('delete kills the processes and removes the group; then GET is 404', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-delete',
      group([nodeContainer('main', 'console.log("pid=" + process.pid); setTimeout(() => {}, 60000)')]),
    );
    const pid = Number(
      await waitFor('pid in logs', async () => {
        const m = /pid=(\d+)/.exec(
          (await client.containers.listLogs(RG, 'job-delete', 'main')).content ?? '',
        );
        return m?.[1];
      }),
    );
    await client.containerGroups.beginDeleteAndWait(RG, 'job-delete');
    const err = await expectRestError(client.containerGroups.get(RG, 'job-delete'));
    expect(err.statusCode).toBe(404);
    await waitFor('process to be gone', () => {
      try {
        process.kill(pid, 0);
        return Promise.resolve(undefined);
      } catch {
        return Promise.resolve(true);
      }
    });
    // Deleting what is already gone is not an error (ARM answers 204).
    await client.containerGroups.beginDeleteAndWait(RG, 'job-delete');
    expect((await raw('DELETE', groupPath('job-delete'))).status).toBe(204);
  });

  test('list by resource group and by subscription', async () => {
    const spec = group([nodeContainer('main', '')]);
    await client.containerGroups.beginCreateOrUpdateAndWait('rg-list-a', 'one', spec);
    await client.containerGroups.beginCreateOrUpdateAndWait('rg-list-a', 'two', spec);
    await client.containerGroups.beginCreateOrUpdateAndWait('rg-list-b', 'three', spec);
    const inA: string[] = [];
    for await (const g of client.containerGroups.listByResourceGroup('rg-list-a')) inA.push(g.name ?? '');
    expect(inA.sort()).toEqual(['one', 'two']);
    const all: string[] = [];
    for await (const g of client.containerGroups.list()) all.push(g.name ?? '');
    expect(all).toEqual(expect.arrayContaining(['one', 'two', 'three']));
  });

  test('an unknown group is 404 ResourceNotFound in ARM error shape', async () => {
    const err = await expectRestError(client.containerGroups.get(RG, 'does-not-exist'));
    expect(err.statusCode).toBe(404);
    expect(errorCode(err)).toBe('ResourceNotFound');
    const res = await raw('GET', groupPath('does-not-exist'));
    expect(res.status).toBe(404);
    expect(Object.keys(res.json as object)).toEqual(['error']);
    expect(armError(res).code).toBe('ResourceNotFound');
    expect(armError(res).message).toContain("containerGroups/does-not-exist' under resource group 'rg-jobs'");
  });

  test('bad requests are 400 with ARM error shape and a message naming the property', async () => {
    const noContainers = await raw('PUT', groupPath('bad-1'), {
      location: 'westeurope',
      properties: { osType: 'Linux' },
    });
    expect(noContainers.status).toBe(400);
    expect(armError(noContainers).code).toBe('InvalidRequestContent');
    expect(armError(noContainers).message).toContain("'properties.containers'");
    const noLocation = await raw('PUT', groupPath('bad-2'), {
      properties: { osType: 'Linux', containers: [] },
    });
    expect(noLocation.json).toMatchObject({ error: { code: 'LocationRequired' } });
    const badCpu = await raw('PUT', groupPath('bad-3'), {
      location: 'westeurope',
      properties: {
        osType: 'Linux',
        containers: [
          { name: 'main', properties: { image: 'x', resources: { requests: { cpu: 0, memoryInGB: 1 } } } },
        ],
      },
    });
    expect(badCpu.status).toBe(400);
    expect(armError(badCpu).message).toContain('properties.containers[0].properties.resources.requests.cpu');
    const tooMuchMemory = await expectRestError(
      client.containerGroups.beginCreateOrUpdateAndWait(
        RG,
        'bad-4',
        group([nodeContainer('main', '', { resources: { requests: { cpu: 1, memoryInGB: 64 } } })]),
      ),
    );
    expect(tooMuchMemory.statusCode).toBe(400);
    expect(errorCode(tooMuchMemory)).toBe('ResourceRequestsNotSupported');
    const notJson = await raw('PUT', groupPath('bad-5'), '{ nope');
    expect(notJson.json).toMatchObject({ error: { code: 'InvalidRequestContent' } });
    // None of them was created.
    expect((await raw('GET', groupPath('bad-1'))).status).toBe(404);
  });

  test('invalid group names are rejected', async () => {
    for (const name of ['Upper-Case', '-leading', 'trailing-', 'under_score', 'a'.repeat(64)]) {
      const err = await expectRestError(
        client.containerGroups.beginCreateOrUpdateAndWait(RG, name, group([nodeContainer('main', '')])),
      );
      expect(err.statusCode).toBe(400);
      expect(errorCode(err)).toBe('InvalidContainerGroupName');
      expect(err.message).toContain(name);
    }
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'a'.repeat(63),
      group([nodeContainer('main', '')]),
    );
  });

  test('authentication and api-version are required, as on ARM', async () => {
    const noAuth = await raw('GET', groupPath('job-ok'), undefined, { authorization: '' });
    expect(noAuth.status).toBe(401);
    expect(noAuth.json).toMatchObject({ error: { code: 'AuthenticationFailed' } });
    const noVersion = await raw('GET', groupPath('job-ok').replace(/\?api-version=.*$/, ''));
    expect(noVersion.status).toBe(400);
    expect(noVersion.json).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
  });

  test('an image that cannot be pulled leaves the container Waiting with a Failed event, then fails the deployment', async () => {
    const poller = await client.containerGroups.beginCreateOrUpdate(
      RG,
      'job-nopull',
      group([
        {
          name: 'main',
          image: 'myregistry.azurecr.io/unknown:1',
          resources: { requests: { cpu: 1, memoryInGB: 1 } },
        },
      ]),
    );
    const g = await client.containerGroups.get(RG, 'job-nopull');
    expect(g.provisioningState).toBe('Creating');
    expect(g.instanceView?.state).toBe('Pending');
    const view = g.containers[0]?.instanceView;
    expect(view?.currentState?.state).toBe('Waiting');
    const failed = view?.events?.find((e) => e.name === 'Failed');
    expect(failed?.type).toBe('Warning');
    expect(failed?.message).toContain('Failed to pull image "myregistry.azurecr.io/unknown:1"');
    // After imagePullTimeoutMs (1.5 s here) the deployment fails, and so does the LRO.
    const err = await poller.pollUntilDone().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain('Failed to pull image');
    expect((await client.containerGroups.get(RG, 'job-nopull')).provisioningState).toBe('Failed');
  });

  test('a command that cannot be started ends Terminated with exit code 127 and a Failed event', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-enoent',
      group([nodeContainer('main', '', { command: ['/nonexistent/bin/job', '--flag'] })]),
    );
    const done = await waitForGroupState('job-enoent', ['Failed', 'Succeeded']);
    const view = done.containers[0]?.instanceView;
    expect(view?.currentState?.exitCode).toBe(127);
    expect(view?.currentState?.detailStatus).toBe('ContainerCannotRun');
    expect(view?.events?.find((e) => e.name === 'Failed')?.message).toContain('ENOENT');
  });

  test('restartPolicy OnFailure restarts a failed container with restartCount and previousState', async () => {
    // Fails the first time (exit 5), succeeds the second: the marker file lives in the container's working dir.
    const script =
      'const fs = require("node:fs"); if (fs.existsSync("marker")) { console.log("second run"); } else { fs.writeFileSync("marker", "x"); console.log("first run"); process.exit(5); }';
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-onfailure',
      group([nodeContainer('main', script)], { restartPolicy: 'OnFailure' }),
    );
    const done = await waitFor('second run to finish', async () => {
      const g = await client.containerGroups.get(RG, 'job-onfailure');
      return g.instanceView?.state === 'Succeeded' ? g : undefined;
    });
    const view = done.containers[0]?.instanceView;
    expect(view?.restartCount).toBe(1);
    expect(view?.previousState?.state).toBe('Terminated');
    expect(view?.previousState?.exitCode).toBe(5);
    expect(view?.currentState?.exitCode).toBe(0);
    expect((await client.containers.listLogs(RG, 'job-onfailure', 'main')).content).toBe(
      'first run\nsecond run\n',
    );
  });

  test('restartPolicy Always restarts even after success', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'job-always',
      group([nodeContainer('main', 'console.log("run")')], { restartPolicy: 'Always' }),
    );
    const g = await waitFor('two restarts', async () => {
      const got = await client.containerGroups.get(RG, 'job-always');
      return (got.containers[0]?.instanceView?.restartCount ?? 0) >= 2 ? got : undefined;
    });
    expect(g.instanceView?.state).toBe('Running');
    await client.containerGroups.beginDeleteAndWait(RG, 'job-always');
  });
});

describe('fault injection through the emulator-fault tag', () => {
  const faulty = (name: string, fault: string, location = 'westeurope'): Promise<ContainerGroup> =>
    noRetryClient.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      name,
      group([nodeContainer('main', '')], { location, tags: { 'emulator-fault': fault } }),
    );

  test('create:429 answers 429 with Retry-After, then lets the create through', async () => {
    const err = await expectRestError(faulty('fault-429', 'create:429'));
    expect(err.statusCode).toBe(429);
    expect(errorCode(err)).toBe('SubscriptionRequestsThrottled');
    expect(err.response?.headers.get('retry-after')).toBe('1');
    const ok = await faulty('fault-429', 'create:429');
    expect(ok.provisioningState).toBe('Succeeded');
  });

  test('create:500x2 fails exactly twice', async () => {
    expect((await expectRestError(faulty('fault-500', 'create:500x2'))).statusCode).toBe(500);
    const second = await expectRestError(faulty('fault-500', 'create:500x2'));
    expect(errorCode(second)).toBe('InternalServerError');
    expect((await faulty('fault-500', 'create:500x2')).provisioningState).toBe('Succeeded');
  });

  test('the SDK default retry policy rides over a single 500', async () => {
    const ok = await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'fault-retried',
      group([nodeContainer('main', '')], { tags: { 'emulator-fault': 'create:500' } }),
    );
    expect(ok.provisioningState).toBe('Succeeded');
  });

  test('create:capacity (409) and create:quota (400) answer with ACI codes', async () => {
    const capacity = await expectRestError(faulty('fault-capacity', 'create:capacity'));
    expect(capacity.statusCode).toBe(409);
    expect(errorCode(capacity)).toBe('ServiceUnavailable');
    expect(capacity.message).toContain("is not available in the location 'westeurope'");
    const quota = await expectRestError(faulty('fault-quota', 'create:quota'));
    expect(quota.statusCode).toBe(400);
    expect(errorCode(quota)).toBe('ContainerGroupQuotaReached');
  });

  test('get:503 (added later with a tags PATCH) fails one GET of an existing group', async () => {
    await noRetryClient.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'fault-get',
      group([nodeContainer('main', '')]),
    );
    const patched = await noRetryClient.containerGroups.update(RG, 'fault-get', {
      tags: { 'emulator-fault': 'get:503' },
    });
    expect(patched.tags).toEqual({ 'emulator-fault': 'get:503' });
    const err = await expectRestError(noRetryClient.containerGroups.get(RG, 'fault-get'));
    expect(err.statusCode).toBe(503);
    expect((await noRetryClient.containerGroups.get(RG, 'fault-get')).name).toBe('fault-get');
  });

  test('an unavailable location always answers the capacity error', async () => {
    const err = await expectRestError(
      noRetryClient.containerGroups.beginCreateOrUpdateAndWait(
        RG,
        'in-westus',
        group([nodeContainer('main', '')], { location: 'westus' }),
      ),
    );
    expect(err.statusCode).toBe(409);
    expect(err.message).toContain("'westus'");
  });

  test('a malformed fault rule is a 400 naming it', async () => {
    const err = await expectRestError(faulty('fault-bad', 'create:teapot'));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain("'create:teapot'");
  });
});
