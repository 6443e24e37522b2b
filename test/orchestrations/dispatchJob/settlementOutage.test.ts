import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';
import {
  startServiceBusEmulator,
  type RunningServiceBusEmulator,
} from '../../../devhost/servicebus/startServiceBusEmulator';
import type { DispatchJobSettlement, DispatchJobStatus } from '../../../orchestrations/dispatchJob/contracts';
import { DISPATCH_JOB_ORCHESTRATOR } from '../../../orchestrations/dispatchJob/dispatchJobInput';
import { DispatchProperty } from '../../../adapters/serviceBus/eventQueue';
import type { JobSettledResult, ResultPublisher } from '../../../adapters/serviceBus/resultPublisher';
import { ServiceBusEventQueue } from '../../../adapters/serviceBus/serviceBusEventQueue';
import { ServiceBusResultPublisher } from '../../../adapters/serviceBus/serviceBusResultPublisher';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import {
  startDispatchJobHarness,
  testRoute,
  type DispatchJobHarness,
} from '../../support/dispatchJobHarness';
import { dispatchQueueConfig } from '../../support/serviceBusTestConfig';
import { testSigner } from '../../support/testSigner';

/*
 * Settling through a Service Bus that is down: the requeue and the dispatcher.job.settled result are sent by the
 * real adapters to the Service Bus emulator, which is stopped before the attempt settles and started again (same
 * port, same state) after some durable retries. Nothing may be lost: the requeued copy and the result arrive once.
 */

const EVENT = { id: 'evt-outage', type: 'demo.hello', source: '/tests' };
const EVENT_JSON = JSON.stringify({ specversion: '1.0', ...EVENT, data: {} });

/** The dispatch queue plus a results topic with an observer subscription, both with duplicate detection. */
function outageConfig() {
  const config = dispatchQueueConfig();
  const ns = config.UserConfig.Namespaces[0]!;
  (ns as { Topics: unknown[] }).Topics = [
    {
      Name: 'results',
      Properties: { DuplicateDetectionHistoryTimeWindow: 'PT10M', RequiresDuplicateDetection: true },
      Subscriptions: [{ Name: 'observer', Properties: { LockDuration: 'PT1M', MaxDeliveryCount: 10 } }],
    },
  ];
  return config;
}

/** The SDK gives up quickly, so each activity fails fast while the emulator is down (the orchestrator retries). */
const FAST_FAILING: ServiceBusClientOptions = {
  retryOptions: { maxRetries: 0, timeoutInMs: 2_000, retryDelayInMs: 100 },
};

let stateDir: string;
let emulator: RunningServiceBusEmulator | undefined;
let harness: DispatchJobHarness | undefined;
const closers: (() => Promise<void>)[] = [];

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'settlement-outage-'));
});

afterEach(async () => {
  await harness?.close();
  for (const close of closers.splice(0)) await close();
  await emulator?.close();
  harness = undefined;
  emulator = undefined;
  rmSync(stateDir, { recursive: true, force: true });
});

async function startEmulator(port = 0): Promise<RunningServiceBusEmulator> {
  return startServiceBusEmulator({ port, config: outageConfig(), stateDir });
}

/** Fires durable timers one by one until `done()` holds (each firing lets the engine run what it woke). */
async function runUntil(h: DispatchJobHarness, done: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !done(); i++) {
    await h.engine.waitForIdle();
    if (!(await h.clock.fireNext())) break;
  }
  expect(done()).toBe(true);
}

async function receiveAll(connectionString: string, entity: [string] | [string, string]) {
  const sb = new ServiceBusClient(connectionString);
  const options = { receiveMode: 'receiveAndDelete', skipParsingBodyAsJson: true } as const;
  const receiver =
    entity.length === 1
      ? sb.createReceiver(entity[0], options)
      : sb.createReceiver(entity[0], entity[1], options);
  try {
    return await receiver.receiveMessages(10, { maxWaitTimeInMs: 2_000 });
  } finally {
    await receiver.close();
    await sb.close();
  }
}

async function settleDuringOutage(
  exitCode: number,
  downUntil: (h: DispatchJobHarness) => boolean,
): Promise<{ settlement: DispatchJobSettlement; connectionString: string; h: DispatchJobHarness }> {
  const first = await startEmulator();
  const { port, connectionString } = first;
  const connection = { connectionString };
  const queue = new ServiceBusEventQueue({
    connection,
    clientOptions: FAST_FAILING,
    queueName: 'dispatch',
    signer: testSigner,
  });
  const publisher = new ServiceBusResultPublisher({
    connection,
    clientOptions: FAST_FAILING,
    topicName: 'results',
  });
  closers.push(
    () => queue.close(),
    () => publisher.close(),
  );
  const h = await startDispatchJobHarness({
    scriptFor: () => ({ runMs: 1_000, exitCode }),
    eventQueue: queue,
    resultPublisher: publisher,
  });
  harness = h;
  // Service Bus goes down before the attempt settles.
  await first.close();
  const instanceId = instanceIdFor('hello', EVENT, 1);
  h.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
    instanceId,
    input: {
      route: testRoute({ name: 'hello', policy: { maxAttempts: 3 } }),
      event: EVENT,
      eventJson: EVENT_JSON,
      attempt: 1,
      pollsPerExecution: 20,
    },
  });
  await runUntil(h, () => downUntil(h));
  // Back on the same port with the same state, as `dispatcher dev` restarts it.
  emulator = await startEmulator(port);
  await h.engine.runUntilIdle();
  const status = await h.engine.waitForInstance(instanceId);
  expect(status.runtimeStatus).toBe('Completed');
  expect((status.customStatus as DispatchJobStatus).publishError).toBeUndefined();
  return { settlement: status.output as DispatchJobSettlement, connectionString, h };
}

const notPublished = (h: DispatchJobHarness): number =>
  h.log.filter((line) => line.startsWith(`result for event ${EVENT.id} not published`)).length;

describe('settling while Service Bus is down', () => {
  it('requeues the event once Service Bus is back, and publishes the Requeued result', async () => {
    const { settlement, connectionString } = await settleDuringOutage(
      7,
      (h) => h.engine.counters.activityFailures >= 3,
    );
    expect(settlement.outcome).toBe('Requeued');
    const copies = await receiveAll(connectionString, ['dispatch']);
    expect(copies).toHaveLength(1);
    expect(copies[0]!.applicationProperties?.[DispatchProperty.attempt]).toBe(2);
    const results = await receiveAll(connectionString, ['results', 'observer']);
    expect(results.map((m) => JSON.parse(String(m.body)) as { data: JobSettledResult })).toMatchObject([
      { data: { eventId: EVENT.id, attempt: 1, outcome: 'Requeued' } },
    ]);
  });

  it('publishes the Succeeded result once Service Bus is back (at least once, de-duplicated)', async () => {
    const { settlement, connectionString } = await settleDuringOutage(0, (h) => notPublished(h) >= 3);
    expect(settlement.outcome).toBe('Succeeded');
    const results = await receiveAll(connectionString, ['results', 'observer']);
    expect(results).toHaveLength(1);
    expect(JSON.parse(String(results[0]!.body))).toMatchObject({
      data: { outcome: 'Succeeded', attempt: 1 },
    });
  });
});

describe('a result that can never be published', () => {
  it('gives up after the retries and says so in customStatus, the output and a warning', async () => {
    let tries = 0;
    const down: ResultPublisher = {
      publish: () => {
        tries++;
        return Promise.reject(new Error('results topic unreachable'));
      },
      close: () => Promise.resolve(),
    };
    const h = await startDispatchJobHarness({ scriptFor: () => ({ runMs: 1_000 }), resultPublisher: down });
    harness = h;
    const instanceId = instanceIdFor('hello', EVENT, 1);
    h.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
      instanceId,
      input: {
        route: testRoute({ name: 'hello' }),
        event: EVENT,
        eventJson: EVENT_JSON,
        attempt: 1,
        pollsPerExecution: 20,
      },
    });
    await h.engine.runUntilIdle();
    const status = await h.engine.waitForInstance(instanceId);
    const settlement = status.output as DispatchJobSettlement;
    expect(settlement.outcome).toBe('Succeeded');
    expect(tries).toBe(20);
    expect(settlement.publishError).toBe(
      'settlement not published after 20 tries: results topic: results topic unreachable',
    );
    expect(status.customStatus).toMatchObject({ phase: 'Succeeded', publishError: settlement.publishError });
    expect(h.log).toContain(
      `result for event ${EVENT.id} not published (giving up): results topic unreachable`,
    );
  });
});
