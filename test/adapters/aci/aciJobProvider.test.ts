import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { FAULT_TAG } from '../../../devhost/aci/faultInjector';
import { startAciEmulator, type RunningAciEmulator } from '../../../devhost/aci/startAciEmulator';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import {
  CapacityProviderError,
  PermanentProviderError,
  TransientProviderError,
} from '../../../shared/errors/dispatchErrors';
import type { JobSpec, JobStatus, JobTarget } from '../../../adapters/aci/jobProvider';
import { AciJobProvider } from '../../../adapters/aci/aciJobProvider';

/** The "job": prints what reached it, then exits with EXIT_CODE (or sleeps when SLEEP_MS is set). */
const jobScript = `
const fs = require('node:fs');
console.log('PLAIN=' + process.env.PLAIN);
console.log('SECRET=' + process.env.SECRET);
console.log('DISPATCH_EVENT=' + (process.env.DISPATCH_EVENT ?? '<unset>'));
if (process.env.DISPATCH_EVENT_FILE) console.log('FILE=' + fs.readFileSync(process.env.DISPATCH_EVENT_FILE, 'utf8'));
for (let i = 1; i <= 5; i++) console.log('line ' + i);
if (process.env.SLEEP_MS) setTimeout(() => process.exit(0), Number(process.env.SLEEP_MS));
else process.exit(Number(process.env.EXIT_CODE ?? 0));
`;

const target: JobTarget = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'jobs',
  location: 'westeurope',
};
const eventJson = JSON.stringify({
  specversion: '1.0',
  id: 'evt-1',
  source: '/test',
  type: 'demo.created',
  data: { n: 1 },
});

let counter = 0;
function spec(overrides: Partial<JobSpec> = {}): JobSpec {
  const name = `job-${process.pid}-${++counter}`;
  return {
    name,
    instanceId: `${name}-instance`,
    route: 'thumbnails',
    eventId: 'evt-1',
    attempt: 1,
    image: 'example.azurecr.io/jobs/thumbnails:1',
    command: [process.execPath, '-e', jobScript],
    cpu: 1,
    memoryInGB: 1.5,
    env: { PLAIN: 'plain-value' },
    secureEnv: { SECRET: 's3cret-value' },
    eventDelivery: 'env',
    eventJson,
    ...overrides,
  };
}

/** Faults are requested through the emulator's public API: a tag on the PUT body, added here by a pipeline policy. */
const faults = new Map<string, string>();
const faultTagPolicy: PipelinePolicy = {
  name: 'emulatorFaultTag',
  sendRequest(request, next) {
    const name = /containerGroups\/([^/?]+)/.exec(request.url)?.[1];
    const fault = name === undefined ? undefined : faults.get(name);
    if (request.method === 'PUT' && fault && typeof request.body === 'string') {
      const body = JSON.parse(request.body) as { tags?: Record<string, string> };
      body.tags = { ...body.tags, [FAULT_TAG]: fault };
      request.body = JSON.stringify(body);
    }
    return next(request);
  },
};

let emulator: RunningAciEmulator;
let provider: AciJobProvider;
let client: ContainerInstanceManagementClient;

beforeAll(async () => {
  emulator = await startAciEmulator({
    port: 0,
    unavailableLocations: ['fullregion'],
    imagePullTimeoutMs: 60_000,
    killGraceMs: 500,
  });
  // Trust the emulator's CA through the SDK's own TLS option (per client, no process-wide patching).
  const tlsOptions = { ca: emulator.caCertPem };
  provider = new AciJobProvider({
    credential: new EmulatorCredential(),
    endpoint: emulator.endpoint,
    clientOptions: { tlsOptions, additionalPolicies: [{ policy: faultTagPolicy, position: 'perCall' }] },
    provisioningWaitMs: 1500,
    pollIntervalMs: 100,
  });
  client = new ContainerInstanceManagementClient(new EmulatorCredential(), target.subscriptionId, {
    endpoint: emulator.endpoint,
    tlsOptions,
  });
});

afterAll(async () => {
  await emulator?.close();
});

async function waitForTermination(name: string, timeoutMs = 15_000): Promise<JobStatus> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await provider.status(name, target);
    if (status.state === 'Succeeded' || status.state === 'Failed') return status;
    if (Date.now() > until) throw new Error(`job ${name} still ${status.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as Error,
  );
}

describe('AciJobProvider against the ACI emulator', () => {
  test('creates the group once, reuses it, and the job gets env, secure env and the event', async () => {
    const job = spec();
    await expect(provider.create(job, target)).resolves.toEqual({ target, reused: false });
    await expect(provider.create(job, target)).resolves.toEqual({ target, reused: true });

    const status = await waitForTermination(job.name);
    expect(status).toMatchObject({ state: 'Succeeded', exitCode: 0 });
    expect(status.finishTime).toMatch(/^\d{4}-\d\d-\d\dT/);

    const logs = await provider.logs(job.name, target, 1000);
    expect(logs).toContain('PLAIN=plain-value');
    expect(logs).toContain('SECRET=s3cret-value');
    expect(logs).toContain(`DISPATCH_EVENT=${eventJson}`);
    await expect(provider.logs(job.name, target, 2)).resolves.toBe('line 4\nline 5\n');

    const group = await client.containerGroups.get(target.resourceGroup, job.name);
    expect(group.tags).toEqual({
      'dispatcher-instance': job.instanceId,
      'dispatcher-route': 'thumbnails',
      'dispatcher-event': 'evt-1',
      'dispatcher-attempt': '1',
    });
    expect(group.restartPolicy).toBe('Never');
    expect(group.osType).toBe('Linux');
    const env = group.containers[0]!.environmentVariables ?? [];
    expect(env.find((v) => v.name === 'PLAIN')).toEqual({ name: 'PLAIN', value: 'plain-value' });
    // Secure values are write-only in ARM: sent as secureValue, never echoed.
    expect(env.find((v) => v.name === 'SECRET')?.value).toBeUndefined();
    expect(env.find((v) => v.name === 'DISPATCH_EVENT')?.value).toBeUndefined();

    await provider.delete(job.name, target);
    await expect(client.containerGroups.get(target.resourceGroup, job.name)).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  test('a failing job reports the exit code of its first termination', async () => {
    const job = spec({ env: { PLAIN: 'p', EXIT_CODE: '3' } });
    await provider.create(job, target);
    await expect(waitForTermination(job.name)).resolves.toMatchObject({ state: 'Failed', exitCode: 3 });
    await provider.delete(job.name, target);
  });

  test('file delivery mounts the event as a file named by DISPATCH_EVENT_FILE and does not set DISPATCH_EVENT', async () => {
    const job = spec({ eventDelivery: 'file', eventFilePath: '/mnt/dispatch/event.json' });
    await provider.create(job, target);
    await expect(waitForTermination(job.name)).resolves.toMatchObject({ state: 'Succeeded', exitCode: 0 });
    const logs = await provider.logs(job.name, target, 100);
    expect(logs).toContain(`FILE=${eventJson}`);
    expect(logs).toContain('DISPATCH_EVENT=<unset>');
    const group = await client.containerGroups.get(target.resourceGroup, job.name);
    expect(group.containers[0]!.volumeMounts).toEqual([
      { name: 'dispatch-event', mountPath: '/mnt/dispatch', readOnly: true },
    ]);
    expect(group.containers[0]!.environmentVariables).toContainEqual({
      name: 'DISPATCH_EVENT_FILE',
      value: '/mnt/dispatch/event.json',
    });
    await provider.delete(job.name, target);
  });

  test('stop ends a running job; delete removes it; stop, delete, logs and status of a missing group are fine', async () => {
    const job = spec({ env: { SLEEP_MS: '60000' } });
    await provider.create(job, target);
    const until = Date.now() + 10_000;
    let status = await provider.status(job.name, target);
    while (status.state !== 'Running' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await provider.status(job.name, target);
    }
    expect(status.state).toBe('Running');

    await provider.stop(job.name, target);
    const stopped = await provider.status(job.name, target);
    expect(stopped.state).toBe('Failed');
    expect(stopped.exitCode).not.toBe(0);

    await provider.delete(job.name, target);
    await expect(provider.delete(job.name, target)).resolves.toBeUndefined();
    await expect(provider.stop(job.name, target)).resolves.toBeUndefined();
    await expect(provider.logs(job.name, target, 10)).resolves.toBe('');
    await expect(provider.status(job.name, target)).resolves.toMatchObject({
      state: 'Failed',
      detail: expect.stringContaining('not found') as string,
    });
  });

  test('an image that cannot be pulled is a permanent failure', async () => {
    const job = spec({ image: 'example.azurecr.io/does-not-exist:1', command: undefined });
    await expect(provider.create(job, target)).resolves.toEqual({ target, reused: false });
    const status = await provider.status(job.name, target);
    expect(status).toMatchObject({ state: 'Failed', permanentFailure: 'ImagePullFailed' });
    expect(status.detail).toMatch(/Failed to pull image "example.azurecr.io\/does-not-exist:1"/);
    await provider.delete(job.name, target);
  });

  test('429 and 500 from ARM are transient (Retry-After honoured); the next call goes through', async () => {
    const throttled = spec();
    faults.set(throttled.name, 'create:429');
    const error = await rejection(provider.create(throttled, target));
    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error).not.toBeInstanceOf(CapacityProviderError);
    expect(error).toMatchObject({ code: 'SubscriptionRequestsThrottled', retryAfterMs: 1000 });
    expect(error.message).toContain(`create container group ${throttled.name} in jobs (westeurope)`);
    await expect(provider.create(throttled, target)).resolves.toEqual({ target, reused: false });

    const broken = spec();
    faults.set(broken.name, 'create:500');
    const createError = await rejection(provider.create(broken, target));
    expect(createError).toBeInstanceOf(TransientProviderError);
    expect(createError).toMatchObject({ code: 'InternalServerError' });
    await expect(provider.create(broken, target)).resolves.toEqual({ target, reused: false });

    // GET faults: the first one may be spent by the create's own provisioning watch, which must not fail the
    // create (the PUT was accepted); the next one reaches status().
    const flaky = spec();
    faults.set(flaky.name, 'get:500x2');
    await expect(provider.create(flaky, target)).resolves.toEqual({ target, reused: false });
    const statusError = await rejection(provider.status(flaky.name, target));
    expect(statusError).toBeInstanceOf(TransientProviderError);
    expect(statusError.message).toContain(`status of container group ${flaky.name}`);
    await expect(provider.status(flaky.name, target)).resolves.toHaveProperty('state');

    const unavailable = spec();
    faults.set(unavailable.name, 'create:503');
    const unavailableError = await rejection(provider.create(unavailable, target));
    // ARM's generic 503 is a blip on this target, not a capacity answer.
    expect(unavailableError).toBeInstanceOf(TransientProviderError);
    expect(unavailableError).not.toBeInstanceOf(CapacityProviderError);

    await Promise.all([throttled, broken, flaky].map((job) => provider.delete(job.name, target)));
  });

  test('capacity and quota answers are CapacityProviderError, so the orchestration moves to a fallback', async () => {
    const noRoom = spec();
    faults.set(noRoom.name, 'create:capacity');
    await expect(rejection(provider.create(noRoom, target))).resolves.toMatchObject({
      constructor: CapacityProviderError,
      code: 'ServiceUnavailable',
    });

    const quota = spec();
    faults.set(quota.name, 'create:quota');
    await expect(rejection(provider.create(quota, target))).resolves.toMatchObject({
      constructor: CapacityProviderError,
      code: 'ContainerGroupQuotaReached',
    });

    const job = spec();
    const full: JobTarget = { ...target, location: 'fullregion' };
    await expect(rejection(provider.create(job, full))).resolves.toBeInstanceOf(CapacityProviderError);
    await expect(provider.create(job, target)).resolves.toEqual({ target, reused: false });
    await provider.delete(job.name, target);
  });

  test('an invalid request is permanent and says what was wrong', async () => {
    const job = spec({ cpu: 64 });
    const error = await rejection(provider.create(job, target));
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error).toMatchObject({ code: 'ResourceRequestsNotSupported' });
    expect(error.message).toContain("The cpu request '64'");

    const reserved = spec({ env: { DISPATCH_EVENT: 'x' } });
    await expect(provider.create(reserved, target)).rejects.toThrow(
      `job ${reserved.name} (route thumbnails): environment variable DISPATCH_EVENT is reserved`,
    );
  });
});

describe('AciJobProvider when provisioning fails asynchronously', () => {
  let slowPull: RunningAciEmulator;
  let tlsOptions: { ca: string };

  beforeAll(async () => {
    slowPull = await startAciEmulator({ port: 0, imagePullTimeoutMs: 400, killGraceMs: 500 });
    tlsOptions = { ca: slowPull.caCertPem };
  });

  afterAll(async () => {
    await slowPull?.close();
  });

  test('a deployment that fails to pull is permanent, and the failed group is removed', async () => {
    const patient = new AciJobProvider({
      credential: new EmulatorCredential(),
      endpoint: slowPull.endpoint,
      clientOptions: { tlsOptions },
      pollIntervalMs: 100,
    });
    const job = spec({ image: 'example.azurecr.io/missing:2', command: undefined });
    const error = await rejection(patient.create(job, target));
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error).toMatchObject({ code: 'InaccessibleImage', reason: 'ImagePullFailed' });
    expect(error.message).toContain('Failed to pull image "example.azurecr.io/missing:2"');
    await expect(patient.status(job.name, target)).resolves.toMatchObject({
      state: 'Failed',
      detail: expect.stringContaining('not found') as string,
    });
  });

  test('create replaces a group left in provisioningState Failed instead of reusing it', async () => {
    const hasty = new AciJobProvider({
      credential: new EmulatorCredential(),
      endpoint: slowPull.endpoint,
      clientOptions: { tlsOptions },
      pollIntervalMs: 100,
      provisioningWaitMs: 50,
    });
    const broken = spec({ image: 'example.azurecr.io/missing:3', command: undefined });
    await expect(hasty.create(broken, target)).resolves.toEqual({ target, reused: false });
    const arm = new ContainerInstanceManagementClient(new EmulatorCredential(), target.subscriptionId, {
      endpoint: slowPull.endpoint,
      tlsOptions,
    });
    const until = Date.now() + 5000;
    while (
      (await arm.containerGroups.get(target.resourceGroup, broken.name)).provisioningState !== 'Failed'
    ) {
      if (Date.now() > until) throw new Error('group never reached provisioningState Failed');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const fixed = {
      ...broken,
      image: 'example.azurecr.io/jobs/thumbnails:1',
      command: [process.execPath, '-e', jobScript],
    };
    await expect(hasty.create(fixed, target)).resolves.toEqual({ target, reused: false });
    await expect(waitForTerminationWith(hasty, fixed.name)).resolves.toMatchObject({
      state: 'Succeeded',
      exitCode: 0,
    });
    await hasty.delete(fixed.name, target);
  });
});

async function waitForTerminationWith(jobs: AciJobProvider, name: string): Promise<JobStatus> {
  const until = Date.now() + 15_000;
  for (;;) {
    const status = await jobs.status(name, target);
    if (status.state === 'Succeeded' || status.state === 'Failed') return status;
    if (Date.now() > until) throw new Error(`job ${name} still ${status.state}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
