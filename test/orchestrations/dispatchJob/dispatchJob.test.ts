import { DEFAULT_POLLS_PER_EXECUTION } from '../../../shared/config/loadSettings';
import {
  CapacityProviderError,
  PermanentProviderError,
  TransientProviderError,
} from '../../../shared/errors/dispatchErrors';
import {
  DISPATCH_JOB_ORCHESTRATOR,
  type DispatchJobInput,
} from '../../../orchestrations/dispatchJob/dispatchJobInput';
import type { DispatchJobSettlement, DispatchJobStatus } from '../../../orchestrations/dispatchJob/contracts';
import { CREATE_BUDGET_MS } from '../../../orchestrations/dispatchJob/attemptDeadline';
import { containerGroupNameFor, instanceIdFor } from '../../../shared/naming/dispatchNames';
import type { ResolvedRoute } from '../../../shared/routes/resolvedRoute';
import {
  startDispatchJobHarness,
  testRoute,
  type DispatchJobHarness,
} from '../../support/dispatchJobHarness';
import type { JobScript } from '../../support/scriptedJobProvider';

const EVENT = { id: 'evt-1', type: 'demo.hello', source: '/tests' };
const EVENT_JSON = JSON.stringify({ specversion: '1.0', ...EVENT, data: { n: 1 } });
const START = Date.parse('2026-01-01T00:00:00Z');

function inputFor(route: ResolvedRoute, attempt = 1, pollsPerExecution = 20): DispatchJobInput {
  return { route, event: EVENT, eventJson: EVENT_JSON, attempt, pollsPerExecution };
}

let harness: DispatchJobHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function run(route: ResolvedRoute, script: JobScript, attempt = 1, pollsPerExecution = 20) {
  harness = await startDispatchJobHarness({ scriptFor: () => script });
  const instanceId = instanceIdFor(route.name, EVENT, attempt);
  harness.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
    instanceId,
    input: inputFor(route, attempt, pollsPerExecution),
  });
  await harness.engine.runUntilIdle();
  const status = await harness.engine.waitForInstance(instanceId);
  if (status.runtimeStatus !== 'Completed')
    throw new Error(`instance ${status.runtimeStatus}: ${JSON.stringify(status.output)}`);
  return {
    h: harness,
    instanceId,
    name: containerGroupNameFor(instanceId),
    settlement: status.output as DispatchJobSettlement,
    customStatus: status.customStatus as DispatchJobStatus,
  };
}

const route = testRoute({ name: 'hello' });

describe('dispatchJob orchestration', () => {
  it('runs a job that exits 0 to Succeeded, deleting the group and sending nothing', async () => {
    const { h, name, settlement, customStatus, instanceId } = await run(route, {
      runMs: 30_000,
      output: 'done',
    });
    expect(settlement).toMatchObject({
      outcome: 'Succeeded',
      exitCode: 0,
      route: 'hello',
      eventId: 'evt-1',
      attempt: 1,
      containerGroup: name,
    });
    expect(customStatus).toEqual({
      phase: 'Succeeded',
      route: 'hello',
      eventId: 'evt-1',
      eventSource: '/tests',
      attempt: 1,
      maxAttempts: 3,
      containerGroup: name,
      exitCode: 0,
      polls: settlement.polls,
      deadline: new Date(START + 3_600_000).toISOString(),
      latestDeadline: new Date(START + CREATE_BUDGET_MS + 3_600_000).toISOString(),
      target: {
        subscriptionId: expect.any(String) as unknown,
        resourceGroup: 'rg-jobs',
        location: 'westeurope',
      },
      execution: 1,
    });
    const job = h.provider.jobs.get(name)!;
    expect(job.deleted).toBe(true);
    expect(job.spec).toMatchObject({
      instanceId,
      route: 'hello',
      eventId: 'evt-1',
      attempt: 1,
      image: 'demo:1',
      eventJson: EVENT_JSON,
      eventDelivery: 'env',
    });
    expect(h.queue.requeues).toEqual([]);
    expect(h.queue.deadLetterCopies).toEqual([]);
    // 5 s, 10 s, 20 s polls: terminated at 30 s, seen at the 35 s poll.
    expect(h.provider.calls.filter((c) => c.op === 'status').map((c) => c.atMs - START)).toEqual([
      5_000, 15_000, 35_000,
    ]);
  });

  it('requeues a non-zero exit with the backoff of the attempt and the dispatch properties', async () => {
    const r = testRoute({
      name: 'hello',
      policy: { backoff: { initial: 'PT30S', factor: 2, max: 'PT10M' } },
    });
    const { h, settlement } = await run(r, { runMs: 12_000, exitCode: 2 }, 2);
    const settledAt = h.provider.calls.find((c) => c.op === 'delete')!.atMs;
    expect(h.queue.requeues).toEqual([
      {
        body: EVENT_JSON,
        identity: { source: '/tests', id: 'evt-1' },
        route: 'hello',
        attempt: 3,
        lastError: 'JobFailed: container exited with code 2',
        scheduledEnqueueTime: new Date(settledAt + 60_000),
      },
    ]);
    expect(settlement).toMatchObject({
      outcome: 'Requeued',
      exitCode: 2,
      nextAttempt: 3,
      scheduledEnqueueTime: new Date(settledAt + 60_000).toISOString(),
    });
    expect(h.queue.deadLetterCopies).toEqual([]);
  });

  it('stops and deletes a job that runs past the deadline, then requeues it', async () => {
    const r = testRoute({
      name: 'slow',
      policy: { timeout: 'PT2M', poll: { initial: 'PT5S', max: 'PT30S' } },
    });
    const { h, name, settlement, customStatus } = await run(r, { neverEnds: true });
    const ops = h.provider.calls.filter((c) => c.name === name).map((c) => c.op);
    expect(ops.slice(-3)).toEqual(['stop', 'logs', 'delete']);
    const lastPoll = h.provider.calls.filter((c) => c.op === 'status').at(-1)!;
    expect(lastPoll.atMs - START).toBe(120_000); // the last poll is AT the deadline, never after
    expect(h.provider.calls.find((c) => c.op === 'stop')!.atMs - START).toBe(120_000);
    expect(settlement).toMatchObject({
      outcome: 'Requeued',
      description: 'JobTimedOut: job did not finish within PT2M; it was stopped and deleted',
    });
    expect(customStatus.phase).toBe('Requeued');
    expect(h.queue.requeues).toHaveLength(1);
  });

  it('counts the job deadline from the create that succeeded, so create retries do not eat the job run time', async () => {
    const r = testRoute({
      name: 'slow',
      policy: { timeout: 'PT2M', poll: { initial: 'PT5S', max: 'PT30S' } },
    });
    const busy = () => new TransientProviderError('ARM busy', 'ServerBusy');
    // Tries at 0, 5, 15 and 35 s; the job then runs 100 s: past START + PT2M, within its own two minutes.
    const { h, settlement, customStatus } = await run(r, {
      createErrors: [{ error: busy() }, { error: busy() }, { error: busy() }],
      runMs: 100_000,
    });
    expect(h.provider.calls.filter((c) => c.op === 'create').map((c) => c.atMs - START)).toEqual([
      0, 5_000, 15_000, 35_000,
    ]);
    expect(settlement).toMatchObject({ outcome: 'Succeeded', exitCode: 0 });
    expect(customStatus.deadline).toBe(new Date(START + 35_000 + 120_000).toISOString());
    expect(customStatus.latestDeadline).toBe(new Date(START + CREATE_BUDGET_MS + 120_000).toISOString());
    expect(h.provider.count('stop')).toBe(0);
  });

  it('ends the create at its budget (create-failed), apart from the job deadline', async () => {
    // Five targets, four tries each, a minute apart: more than the create budget allows.
    const fallbacks = ['northeurope', 'swedencentral', 'francecentral', 'uksouth'].map((location) => ({
      location,
    }));
    const r = testRoute({
      name: 'slow',
      policy: { timeout: 'PT2M' },
      target: { location: 'westeurope', fallbacks },
    });
    const busy = { error: new TransientProviderError('ARM busy', 'ServerBusy', 60_000) };
    const { h, settlement } = await run(r, { createErrors: Array.from({ length: 40 }, () => busy) });
    const creates = h.provider.calls.filter((c) => c.op === 'create');
    expect(creates.at(-1)!.atMs - START).toBeLessThan(CREATE_BUDGET_MS);
    expect(creates.length).toBeLessThan(40);
    expect(settlement).toMatchObject({ outcome: 'Requeued' });
    expect(settlement.description).toMatch(
      /^CreateFailed: could not create the job within the create budget PT10M/,
    );
  });

  it('settles by the exit code when the job exited before the deadline but the last polls failed', async () => {
    const r = testRoute({
      name: 'slow',
      policy: { timeout: 'PT2M', poll: { initial: 'PT5S', max: 'PT30S' } },
    });
    const { h, settlement } = await run(r, {
      runMs: 110_000,
      exitCode: 0,
      // The poll at 120 s and the first two final reads fail; the third read sees the exit.
      statusErrors: {
        afterMs: 100_000,
        count: 3,
        error: new TransientProviderError('ARM busy', 'ServerBusy'),
      },
    });
    expect(settlement).toMatchObject({ outcome: 'Succeeded', exitCode: 0 });
    expect(h.queue.requeues).toEqual([]);
    const reads = h.provider.calls.filter((c) => c.op === 'status').map((c) => c.atMs - START);
    expect(reads.slice(-4)).toEqual([120_000, 120_000, 125_000, 135_000]);
  });

  it('still times out a job that is running at the deadline after the final read', async () => {
    const r = testRoute({
      name: 'slow',
      policy: { timeout: 'PT2M', poll: { initial: 'PT5S', max: 'PT30S' } },
    });
    const { settlement } = await run(r, {
      neverEnds: true,
      statusErrors: {
        afterMs: 100_000,
        count: 10,
        error: new TransientProviderError('ARM busy', 'ServerBusy'),
      },
    });
    expect(settlement.description).toMatch(/^JobTimedOut:/);
  });

  it('dead-letters the last attempt with reason, exit code and log tail in the description', async () => {
    const output = Array.from({ length: 80 }, (_, i) => `log line ${i}`).join('\n');
    const { h, name, settlement, customStatus } = await run(route, { runMs: 1_000, exitCode: 1, output }, 3);
    expect(h.queue.requeues).toEqual([]);
    expect(h.queue.deadLetterCopies).toHaveLength(1);
    const copy = h.queue.deadLetterCopies[0]!;
    expect(copy).toMatchObject({
      body: EVENT_JSON,
      identity: { source: '/tests', id: 'evt-1' },
      route: 'hello',
      attempt: 3,
      reason: 'JobFailed',
    });
    expect(copy.description).toContain(
      `route hello, attempt 3/3, container group ${name}: container exited with code 1; no attempts left (3/3)`,
    );
    expect(copy.description).toContain('Log tail:\nlog line 30\n');
    expect(copy.description).toMatch(/log line 79$/);
    expect(copy.description).not.toContain('log line 29\n');
    expect(settlement).toMatchObject({
      outcome: 'DeadLettered',
      reason: 'JobFailed',
      exitCode: 1,
      description: copy.description,
    });
    expect(customStatus).toMatchObject({ phase: 'DeadLettered', reason: 'JobFailed', exitCode: 1 });
  });

  it('dead-letters a non-retryable exit code on the first attempt', async () => {
    const r = testRoute({ name: 'strict', policy: { nonRetryableExitCodes: [64] } });
    const { h, settlement } = await run(r, { runMs: 1_000, exitCode: 64 });
    expect(settlement).toMatchObject({
      outcome: 'DeadLettered',
      reason: 'NonRetryableExitCode',
      exitCode: 64,
    });
    expect(h.queue.deadLetterCopies[0]!.description).toContain(
      'container exited with code 64, which the route lists as non-retryable',
    );
    expect(h.queue.requeues).toEqual([]);
  });

  it('dead-letters an image that cannot be pulled without retrying, and deletes the group', async () => {
    const { h, name, settlement } = await run(route, {
      pullFailure: 'Failed to pull image "demo:1": manifest unknown',
    });
    expect(settlement).toMatchObject({ outcome: 'DeadLettered', reason: 'ImagePullFailed' });
    expect(h.queue.deadLetterCopies[0]!.description).toContain(
      'Failed to pull image "demo:1": manifest unknown',
    );
    expect(h.provider.count('create')).toBe(1);
    expect(h.provider.count('status')).toBe(1);
    expect(h.provider.jobs.get(name)!.deleted).toBe(true);
    expect(h.queue.requeues).toEqual([]);
  });

  it('dead-letters an image the provider cannot pull at create as ImagePullFailed, like one seen at poll', async () => {
    const pullError = new PermanentProviderError('InaccessibleImage: image not found', 'InaccessibleImage', {
      reason: 'ImagePullFailed',
    });
    const { h, settlement } = await run(route, { createErrors: [{ error: pullError }] });
    expect(settlement).toMatchObject({ outcome: 'DeadLettered', reason: 'ImagePullFailed' });
    expect(h.queue.deadLetterCopies[0]!.reason).toBe('ImagePullFailed');
    expect(h.queue.deadLetterCopies[0]!.description).toMatch(
      /westeurope: InaccessibleImage: image not found$/,
    );
    expect(h.provider.count('create')).toBe(1);
    expect(h.provider.count('delete')).toBe(1);
    expect(h.queue.requeues).toEqual([]);
  });

  it('dead-letters a permanent create error at once (PermanentError)', async () => {
    const { h, settlement } = await run(route, {
      createErrors: [{ error: new PermanentProviderError('InvalidImageReference: bad', 'InvalidImage') }],
    });
    expect(settlement).toMatchObject({ outcome: 'DeadLettered', reason: 'PermanentError' });
    expect(h.queue.deadLetterCopies[0]!.description).toMatch(/westeurope: InvalidImageReference: bad$/);
    expect(h.provider.count('create')).toBe(1);
    expect(h.provider.count('logs')).toBe(0);
    expect(h.provider.count('delete')).toBe(1);
  });

  it('retries transient create errors with capped backoff (honouring Retry-After), then succeeds', async () => {
    const { h, settlement } = await run(route, {
      runMs: 1_000,
      createErrors: [
        { error: new TransientProviderError('ARM 503', 'ServiceUnavailable') },
        { error: new TransientProviderError('ARM 429', 'TooManyRequests', 17_000) },
      ],
    });
    expect(settlement.outcome).toBe('Succeeded');
    expect(h.provider.calls.filter((c) => c.op === 'create').map((c) => c.atMs - START)).toEqual([
      0, 5_000, 22_000,
    ]);
  });

  it('moves to the next fallback target on capacity errors', async () => {
    const r = testRoute({
      name: 'fallback',
      target: {
        location: 'westeurope',
        fallbacks: [{ location: 'northeurope' }, { location: 'swedencentral' }],
      },
    });
    const { h, settlement, customStatus } = await run(r, {
      runMs: 1_000,
      createErrors: [
        { error: new CapacityProviderError('no capacity', 'ServiceUnavailable'), location: 'westeurope' },
      ],
    });
    expect(settlement.outcome).toBe('Succeeded');
    expect(h.provider.calls.filter((c) => c.op === 'create').map((c) => c.location)).toEqual([
      'westeurope',
      'northeurope',
    ]);
    // Elsewhere only the (idempotent) delete of a group a lost create response could have left.
    expect(
      h.provider.calls.filter((c) => c.op !== 'create' && c.location !== 'northeurope').map((c) => c.op),
    ).toEqual(['delete']);
    expect(customStatus.target?.location).toBe('northeurope');
  });

  // Issue 11, finding 3: a create whose response ARM lost ran the job and leaked its group.
  it('watches the job a lost create response started, instead of deleting it and running it again', async () => {
    const lost = () => ({
      error: new TransientProviderError('ARM 500 (response lost)', 'InternalServerError'),
    });
    const { h, name, settlement, customStatus } = await run(route, {
      runMs: 600_000,
      createErrors: [{ ...lost(), processed: true }, lost(), lost(), lost()],
    });
    expect(h.provider.count('create')).toBe(4);
    // ARM processed the first PUT: the group is found after the last try, watched, and settles by its exit code.
    expect(settlement).toMatchObject({ outcome: 'Succeeded', exitCode: 0 });
    expect(h.provider.runs.get(name)).toBe(1);
    expect(h.queue.requeues).toEqual([]);
    expect(h.provider.liveGroups()).toEqual([]);
    // Its deadline counts from when it was found (the job is never stopped before it ends).
    expect(h.provider.count('stop')).toBe(0);
    expect(customStatus.phase).toBe('Succeeded');
  });

  it('requeues a create-failed attempt when no group exists after the last try, deleting by name first', async () => {
    const lost = () => ({
      error: new TransientProviderError('ARM 503', 'ServiceUnavailable'),
    });
    const { h, name, settlement } = await run(route, {
      runMs: 3_600_000,
      createErrors: [lost(), lost(), lost(), lost()],
    });
    expect(h.provider.count('create')).toBe(4);
    expect(settlement).toMatchObject({ outcome: 'Requeued' });
    expect(h.queue.requeues[0]!.lastError).toMatch(
      /^CreateFailed: could not create the job on any of 1 target/,
    );
    expect(h.provider.runs.get(name)).toBeUndefined();
    const statusAt = h.provider.calls.find((c) => c.op === 'status')!.atMs;
    const deletedAt = h.provider.calls.find((c) => c.op === 'delete')!.atMs;
    expect(deletedAt).toBeGreaterThanOrEqual(statusAt);
    expect(h.queue.requeues[0]!.scheduledEnqueueTime.getTime()).toBeGreaterThanOrEqual(deletedAt);
  });

  it('deletes the group on a target it failed over from, and watches the job on the one it created it on', async () => {
    const r = testRoute({
      name: 'fallback',
      target: { location: 'westeurope', fallbacks: [{ location: 'northeurope' }] },
    });
    const lost = (processed = false) => ({
      error: new TransientProviderError('ARM 500', 'InternalServerError'),
      location: 'westeurope',
      processed,
    });
    const { h, name, settlement } = await run(r, {
      runMs: 1_000,
      createErrors: [lost(true), lost(), lost(), lost()],
    });
    expect(settlement.outcome).toBe('Succeeded');
    const deletes = h.provider.calls.filter((c) => c.op === 'delete').map((c) => c.location);
    expect(deletes).toEqual(['westeurope', 'northeurope']);
    expect(h.provider.liveGroups()).toEqual([]);
    // The westeurope group was deleted before the first poll of the northeurope job.
    const firstPoll = h.provider.calls.find((c) => c.op === 'status')!;
    expect(firstPoll.location).toBe('northeurope');
    expect(h.provider.calls.find((c) => c.op === 'delete')!.atMs).toBeLessThanOrEqual(firstPoll.atMs);
    // ARM did start the westeurope group; failing over cannot undo that, deleting it at once stops it early.
    expect(h.provider.runs.get(name)).toBe(2);
  });

  it('dead-letters an event too big for an environment variable as InvalidEvent, without creating anything', async () => {
    harness = await startDispatchJobHarness({ scriptFor: () => ({ runMs: 1_000 }) });
    const big = JSON.stringify({ specversion: '1.0', ...EVENT, data: 'x'.repeat(140 * 1024) });
    const instanceId = instanceIdFor(route.name, EVENT, 1);
    harness.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
      instanceId,
      input: { ...inputFor(route), eventJson: big },
    });
    await harness.engine.runUntilIdle();
    const status = await harness.engine.waitForInstance(instanceId);
    expect(status.output).toMatchObject({ outcome: 'DeadLettered', reason: 'InvalidEvent' });
    expect(harness.queue.deadLetterCopies[0]!.description).toMatch(
      /more than the 131056 bytes one environment variable can hold; route hello delivers it as DISPATCH_EVENT: set job.eventDelivery to "file"/,
    );
    expect(harness.provider.runs.size).toBe(0);
  });

  it('requeues (CapacityExhausted) when every target is out of capacity', async () => {
    const r = testRoute({ name: 'fallback', target: { fallbacks: [{ location: 'northeurope' }] } });
    const capacity = () => ({ error: new CapacityProviderError('no capacity') });
    const { h, settlement } = await run(r, { createErrors: [capacity(), capacity()] });
    expect(settlement).toMatchObject({ outcome: 'Requeued' });
    expect(h.queue.requeues[0]!.lastError).toMatch(
      /^CapacityExhausted: could not create the job on any of 2 target\(s\)/,
    );
  });

  it('keeps every execution of a 6-hour job under a fixed history bound and sees its end within poll.max', async () => {
    const r = testRoute({
      name: 'long',
      policy: { timeout: 'PT8H', poll: { initial: 'PT5S', max: 'PT1M' } },
    });
    const runMs = 6 * 3_600_000 + 7_000;
    const polls = DEFAULT_POLLS_PER_EXECUTION;
    const { h, instanceId, settlement, customStatus } = await run(r, { runMs }, 1, polls);
    expect(settlement.outcome).toBe('Succeeded');
    const counters = h.engine.instanceCounters(instanceId)!;
    expect(counters.continuedAsNew).toBeGreaterThanOrEqual(30);
    // Per poll: TimerCreated/Fired, TaskScheduled/Completed and two episodes' OrchestratorStarted/Completed = 8
    // events; plus a fixed allowance for create and settle. Independent of how long the job runs.
    expect(counters.largestHistory).toBeLessThanOrEqual(8 * polls + 30);
    // The default keeps one execution under 100 events (the benchmark's target for a 24 h job).
    expect(counters.largestHistory).toBeLessThan(100);
    expect(customStatus.execution).toBe(counters.continuedAsNew + 1);
    const jobEnd = START + runMs;
    const seen = h.provider.calls.find((c) => c.op === 'status' && c.atMs >= jobEnd)!;
    expect(seen.atMs - jobEnd).toBeLessThanOrEqual(60_000);
    expect(settlement.polls).toBe(h.provider.count('status'));
  });

  it('shows where the job is in customStatus while it runs', async () => {
    harness = await startDispatchJobHarness({ scriptFor: () => ({ runMs: 600_000 }) });
    const instanceId = instanceIdFor(route.name, EVENT, 1);
    harness.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, { instanceId, input: inputFor(route) });
    await harness.clock.advance(60_000);
    const status = await harness.client.getStatus(instanceId);
    expect(status.runtimeStatus).toBe('Running');
    expect(status.customStatus).toMatchObject({
      phase: 'Watching',
      route: 'hello',
      eventId: 'evt-1',
      attempt: 1,
      maxAttempts: 3,
      polls: 3,
      execution: 1,
    });
    await harness.engine.runUntilIdle();
    expect((await harness.engine.waitForInstance(instanceId)).runtimeStatus).toBe('Completed');
  });
});
