import { ServiceBusClient } from '@azure/service-bus';
import { settledMessageId } from '../../../shared/naming/dispatchNames';
import {
  startServiceBusEmulator,
  type RunningServiceBusEmulator,
} from '../../../devhost/servicebus/startServiceBusEmulator';
import { jobSettledEventType } from '../../../adapters/serviceBus/resultPublisher';
import { ServiceBusResultPublisher } from '../../../adapters/serviceBus/serviceBusResultPublisher';

const config = {
  UserConfig: {
    Namespaces: [
      {
        Name: 'sbemulatorns',
        Queues: [],
        Topics: [
          {
            Name: 'results',
            Properties: {
              DefaultMessageTimeToLive: 'PT1H',
              DuplicateDetectionHistoryTimeWindow: 'PT10M',
              RequiresDuplicateDetection: true,
            },
            Subscriptions: [
              {
                Name: 'observer',
                Properties: {
                  DefaultMessageTimeToLive: 'PT1H',
                  LockDuration: 'PT1M',
                  MaxDeliveryCount: 10,
                  RequiresSession: false,
                },
              },
            ],
          },
        ],
      },
    ],
    Logging: { Type: 'File' as const },
  },
};

let emulator: RunningServiceBusEmulator;
let client: ServiceBusClient;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ port: 0, config });
  client = new ServiceBusClient(emulator.connectionString);
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

test('publishes one dispatcher.job.settled CloudEvent per settlement; a replayed publish is a duplicate', async () => {
  const publisher = new ServiceBusResultPublisher({
    connection: { connectionString: emulator.connectionString },
    topicName: 'results',
  });
  try {
    const settled = {
      eventId: 'evt-9',
      eventSource: '/tests',
      route: 'thumbnails',
      attempt: 2,
      outcome: 'DeadLettered' as const,
      exitCode: 3,
      reason: 'NonRetryableExitCode',
      time: '2026-01-02T03:04:05.000Z',
    };
    await publisher.publish(settled);
    await publisher.publish(settled);
    await publisher.publish({
      eventId: 'evt-10',
      eventSource: '/tests',
      route: 'thumbnails',
      attempt: 1,
      outcome: 'Succeeded',
      exitCode: 0,
    });
  } finally {
    await publisher.close();
  }

  const receiver = client.createReceiver('results', 'observer', {
    receiveMode: 'receiveAndDelete',
    skipParsingBodyAsJson: true,
  });
  const messages = [];
  for (let i = 0; i < 5 && messages.length < 3; i++)
    messages.push(...(await receiver.receiveMessages(10, { maxWaitTimeInMs: 300 })));
  await receiver.close();

  const ids = [
    settledMessageId({ source: '/tests', id: 'evt-9' }, 'thumbnails', 2),
    settledMessageId({ source: '/tests', id: 'evt-10' }, 'thumbnails', 1),
  ];
  expect(messages.map((m) => m.messageId)).toEqual(ids);
  const first = messages[0]!;
  expect(first.contentType).toBe('application/cloudevents+json');
  expect(first.applicationProperties).toMatchObject({
    'dispatch-route': 'thumbnails',
    'dispatch-outcome': 'DeadLettered',
  });
  expect(JSON.parse((first.body as Buffer).toString('utf8'))).toEqual({
    specversion: '1.0',
    id: ids[0],
    source: '/dispatcher',
    type: jobSettledEventType,
    subject: 'thumbnails',
    time: '2026-01-02T03:04:05.000Z',
    datacontenttype: 'application/json',
    data: {
      eventId: 'evt-9',
      eventSource: '/tests',
      route: 'thumbnails',
      attempt: 2,
      outcome: 'DeadLettered',
      exitCode: 3,
      reason: 'NonRetryableExitCode',
    },
  });
  const second = JSON.parse((messages[1]!.body as Buffer).toString('utf8')) as {
    data: unknown;
    time: string;
  };
  expect(second.data).toEqual({
    eventId: 'evt-10',
    eventSource: '/tests',
    route: 'thumbnails',
    attempt: 1,
    outcome: 'Succeeded',
    exitCode: 0,
  });
  expect(Number.isNaN(Date.parse(second.time))).toBe(false);
});
