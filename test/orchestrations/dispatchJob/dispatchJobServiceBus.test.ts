import { ServiceBusClient } from '@azure/service-bus';
import { testSigner } from '../../support/testSigner';
import {
  startServiceBusEmulator,
  type RunningServiceBusEmulator,
} from '../../../devhost/servicebus/startServiceBusEmulator';
import type { DispatchJobSettlement } from '../../../orchestrations/dispatchJob/contracts';
import { DISPATCH_JOB_ORCHESTRATOR } from '../../../orchestrations/dispatchJob/dispatchJobInput';
import { TransientProviderError } from '../../../shared/errors/dispatchErrors';
import { DispatchProperty } from '../../../adapters/serviceBus/eventQueue';
import type { JobSettledResult, ResultPublisher } from '../../../adapters/serviceBus/resultPublisher';
import { ServiceBusEventQueue } from '../../../adapters/serviceBus/serviceBusEventQueue';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import {
  startDispatchJobHarness,
  testRoute,
  type DispatchJobHarness,
} from '../../support/dispatchJobHarness';
import { RecordingEventQueue } from '../../support/recordingEventQueue';
import { dispatchQueueConfig } from '../../support/serviceBusTestConfig';

/* Settlement sends through the real ServiceBusEventQueue to the Service Bus emulator, and send retries. */

const config = dispatchQueueConfig();

const EVENT = { id: 'evt-sb', type: 'demo.hello', source: '/tests' };
const EVENT_JSON = JSON.stringify({ specversion: '1.0', ...EVENT, data: { text: 'héllo' } });

let emulator: RunningServiceBusEmulator;
let sb: ServiceBusClient;
let harness: DispatchJobHarness | undefined;
let queue: ServiceBusEventQueue | undefined;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ port: 0, config });
  sb = new ServiceBusClient(emulator.connectionString);
});

afterEach(async () => {
  await harness?.close();
  await queue?.close();
  harness = undefined;
  queue = undefined;
});

afterAll(async () => {
  await sb?.close();
  await emulator?.close();
});

async function runOnce(
  h: DispatchJobHarness,
  attempt: number,
  maxAttempts: number,
): Promise<DispatchJobSettlement> {
  const route = testRoute({ name: 'hello', policy: { maxAttempts } });
  const instanceId = instanceIdFor('hello', EVENT, attempt);
  h.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
    instanceId,
    input: { route, event: EVENT, eventJson: EVENT_JSON, attempt, pollsPerExecution: 20 },
  });
  await h.engine.runUntilIdle();
  const status = await h.engine.waitForInstance(instanceId);
  expect(status.runtimeStatus).toBe('Completed');
  return status.output as DispatchJobSettlement;
}

async function receiveAll() {
  const receiver = sb.createReceiver('dispatch', {
    receiveMode: 'receiveAndDelete',
    skipParsingBodyAsJson: true,
  });
  try {
    return await receiver.receiveMessages(10, { maxWaitTimeInMs: 3_000 });
  } finally {
    await receiver.close();
  }
}

describe('dispatchJob settlement over Service Bus', () => {
  it('requeues a scheduled copy with route, attempt and last error, the body byte for byte', async () => {
    queue = new ServiceBusEventQueue({
      connection: { connectionString: emulator.connectionString },
      queueName: 'dispatch',
      signer: testSigner,
    });
    harness = await startDispatchJobHarness({
      scriptFor: () => ({ runMs: 1_000, exitCode: 7 }),
      eventQueue: queue,
    });
    const settlement = await runOnce(harness, 1, 3);
    expect(settlement.outcome).toBe('Requeued');
    const [copy, ...rest] = await receiveAll();
    expect(rest).toEqual([]);
    expect(copy!.messageId).toBe(testSigner.messageId('requeue', EVENT, ['hello', 2, 0]));
    expect(Buffer.from(copy!.body as Buffer).toString('utf8')).toBe(EVENT_JSON);
    expect(copy!.applicationProperties).toMatchObject({
      [DispatchProperty.route]: 'hello',
      [DispatchProperty.attempt]: 2,
      [DispatchProperty.lastError]: 'JobFailed: container exited with code 7',
    });
    // The copy the trigger will receive verifies for the event's identity.
    expect(testSigner.read(EVENT, copy!.applicationProperties!)).toMatchObject({
      kind: 'signed',
      marks: { route: 'hello', attempt: 2 },
    });
    expect(copy!.scheduledEnqueueTimeUtc?.toISOString()).toBe(settlement.scheduledEnqueueTime);
  });

  it('sends a marked dead-letter copy on the last attempt', async () => {
    queue = new ServiceBusEventQueue({
      connection: { connectionString: emulator.connectionString },
      queueName: 'dispatch',
      signer: testSigner,
    });
    harness = await startDispatchJobHarness({
      scriptFor: () => ({ runMs: 1_000, exitCode: 7, output: 'boom' }),
      eventQueue: queue,
    });
    await runOnce(harness, 2, 2);
    const [copy] = await receiveAll();
    expect(copy!.messageId).toBe(testSigner.messageId('dead-letter', EVENT, ['hello', 2, 0]));
    expect(copy!.applicationProperties?.[DispatchProperty.deadLetterReason]).toBe('JobFailed');
    expect(copy!.applicationProperties?.[DispatchProperty.deadLetterDescription]).toMatch(
      /^route hello, attempt 2\/2, container group hello-[0-9a-f]{16}-a2: container exited with code 7; no attempts left \(2\/2\)\nLog tail:\nboom$/,
    );
  });

  it('retries a send that fails transiently, with durable timers', async () => {
    const recording = new RecordingEventQueue();
    recording.failNext.push(
      new TransientProviderError('Service Bus busy', 'ServerBusy'),
      new Error('socket hang up'),
    );
    harness = await startDispatchJobHarness({
      scriptFor: () => ({ runMs: 1_000, exitCode: 7 }),
      eventQueue: recording,
    });
    const settlement = await runOnce(harness, 1, 3);
    expect(settlement.outcome).toBe('Requeued');
    expect(recording.requeues).toHaveLength(1);
    expect(harness.engine.counters.activityFailures).toBe(2);
  });
});

describe('dispatchJob lifecycle events', () => {
  it('publishes one dispatcher.job.settled result per settlement, retrying a failed publish with durable timers', async () => {
    const published: JobSettledResult[] = [];
    let fail = true;
    const publisher: ResultPublisher = {
      publish: (result) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('topic unavailable'));
        }
        published.push(result);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    harness = await startDispatchJobHarness({
      scriptFor: () => ({ runMs: 1_000, exitCode: 7 }),
      resultPublisher: publisher,
    });
    expect((await runOnce(harness, 1, 3)).outcome).toBe('Requeued');
    expect(published).toMatchObject([{ eventId: 'evt-sb', attempt: 1, outcome: 'Requeued' }]);
    expect(harness.log).toContain('result for event evt-sb not published: topic unavailable');
    published.length = 0;
    harness.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
      instanceId: instanceIdFor('hello', EVENT, 3),
      input: {
        route: testRoute({ name: 'hello' }),
        event: EVENT,
        eventJson: EVENT_JSON,
        attempt: 3,
        pollsPerExecution: 20,
      },
    });
    await harness.engine.runUntilIdle();
    expect(published).toEqual([
      {
        eventId: 'evt-sb',
        eventSource: EVENT.source,
        route: 'hello',
        attempt: 3,
        outcome: 'DeadLettered',
        exitCode: 7,
        reason: 'JobFailed',
        instanceId: instanceIdFor('hello', EVENT, 3),
        time: expect.any(String) as unknown,
      },
    ]);
  });
});
