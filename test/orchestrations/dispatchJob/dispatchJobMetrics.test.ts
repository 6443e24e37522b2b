import { CapacityProviderError } from '../../../shared/errors/dispatchErrors';
import { DISPATCH_JOB_ORCHESTRATOR } from '../../../orchestrations/dispatchJob/dispatchJobInput';
import { MetricName } from '../../../shared/metrics/dispatchMetrics';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import type { ResolvedRoute } from '../../../shared/routes/resolvedRoute';
import {
  startDispatchJobHarness,
  testRoute,
  type DispatchJobHarness,
} from '../../support/dispatchJobHarness';
import { recordMetrics, type MetricsRecorder } from '../../support/metricsRecorder';
import { ScriptedJobProvider } from '../../support/scriptedJobProvider';
import { RecordingEventQueue } from '../../support/recordingEventQueue';
import { createDispatchJobActivities } from '../../../orchestrations/dispatchJob/createDispatchJobActivities';
import type { JobScript } from '../../support/scriptedJobProvider';

/*
 * Settlement metrics are recorded by activities while the orchestrator is replayed many times (every poll is an
 * episode that replays the whole history): each fact must be counted once.
 */

const EVENT = { id: 'evt-m', type: 'demo.hello', source: '/tests' };
let harness: DispatchJobHarness | undefined;
let recorder: MetricsRecorder;

beforeEach(() => {
  recorder = recordMetrics();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await recorder.close();
});

async function run(route: ResolvedRoute, script: JobScript, attempt = 1): Promise<void> {
  harness = await startDispatchJobHarness({ scriptFor: () => script, metrics: recorder.metrics });
  const instanceId = instanceIdFor(route.name, EVENT, attempt);
  harness.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
    instanceId,
    input: {
      route,
      event: EVENT,
      eventJson: JSON.stringify({ specversion: '1.0', ...EVENT }),
      attempt,
      pollsPerExecution: 5,
    },
  });
  await harness.engine.runUntilIdle();
  expect((await harness.engine.waitForInstance(instanceId)).runtimeStatus).toBe('Completed');
}

describe('dispatchJob metrics', () => {
  it('a success: started, settled, duration and resource time once, however often the orchestrator replayed', async () => {
    const route = testRoute({ name: 'hello', job: { image: 'demo:1', cpu: 2, memoryInGB: 4 } });
    await run(route, { runMs: 120_000 });
    expect(harness!.engine.counters.episodes).toBeGreaterThan(10);
    expect(await recorder.total(MetricName.jobsStarted, { route: 'hello' })).toBe(1);
    expect(await recorder.total(MetricName.jobsSettled, { route: 'hello', outcome: 'Succeeded' })).toBe(1);
    expect(await recorder.total(MetricName.jobDuration, { route: 'hello' })).toBe(1);
    const seconds = await recorder.histogramSum(MetricName.jobDuration, { route: 'hello' });
    // Created at the start on the virtual clock, seen ended by a poll after 120 s, then cleaned up.
    expect(seconds).toBeGreaterThanOrEqual(120);
    expect(seconds).toBeLessThan(200);
    expect(await recorder.total(MetricName.vcpuSeconds, { route: 'hello' })).toBeCloseTo(2 * seconds, 6);
    expect(await recorder.total(MetricName.memoryGbSeconds, { route: 'hello' })).toBeCloseTo(4 * seconds, 6);
  });

  it('a failure with attempts left is Requeued with its reason; on the last attempt DeadLettered', async () => {
    const route = testRoute({ name: 'hello', policy: { maxAttempts: 2 } });
    await run(route, { runMs: 10_000, exitCode: 1 });
    expect(await recorder.total(MetricName.jobsSettled, { outcome: 'Requeued', reason: 'JobFailed' })).toBe(
      1,
    );
    await harness!.close();
    await run(route, { runMs: 10_000, exitCode: 1 }, 2);
    expect(
      await recorder.total(MetricName.jobsSettled, { outcome: 'DeadLettered', reason: 'JobFailed' }),
    ).toBe(1);
  });

  it('no container group, no resource time: capacity exhausted everywhere', async () => {
    const route = testRoute({ name: 'hello', policy: { maxAttempts: 1 } });
    await run(route, { createErrors: [{ error: new CapacityProviderError('no capacity') }] });
    expect(
      await recorder.total(MetricName.jobsSettled, { outcome: 'DeadLettered', reason: 'CapacityExhausted' }),
    ).toBe(1);
    expect(await recorder.total(MetricName.jobsStarted)).toBe(0);
    expect(await recorder.total(MetricName.vcpuSeconds)).toBe(0);
  });

  it('the create activity records the capacity wait it is given, once the create succeeds', async () => {
    const route = testRoute({ name: 'hello' });
    const activities = createDispatchJobActivities({
      jobProvider: new ScriptedJobProvider(() => Date.now()),
      eventQueue: new RecordingEventQueue(),
      metrics: recorder.metrics,
    });
    const created = await activities.createJob({
      name: 'hello-0123456789abcdef-a1',
      instanceId: 'hello-0123456789abcdef-a1',
      route: 'hello',
      eventId: EVENT.id,
      attempt: 1,
      job: route.job,
      eventJson: '{}',
      target: route.targets[0]!,
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
      capacityWaitMs: 42_000,
    });
    expect(created.ok).toBe(true);
    expect(await recorder.total(MetricName.capacityWait, { route: 'hello' })).toBe(1);
    expect(await recorder.histogramSum(MetricName.capacityWait, { route: 'hello' })).toBe(42);
  });
});
