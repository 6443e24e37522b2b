/** A Service Bus emulator Config.json (official format) with one `dispatch` queue, as the trigger tests need it. */
export function dispatchQueueConfig(maxDeliveryCount = 3) {
  return {
    UserConfig: {
      Namespaces: [
        {
          Name: 'sbemulatorns',
          Queues: [
            {
              Name: 'dispatch',
              Properties: {
                DeadLetteringOnMessageExpiration: false,
                DefaultMessageTimeToLive: 'PT1H',
                DuplicateDetectionHistoryTimeWindow: 'PT10M',
                LockDuration: 'PT1M',
                MaxDeliveryCount: maxDeliveryCount,
                RequiresDuplicateDetection: true,
                RequiresSession: false,
              },
            },
          ],
          Topics: [],
        },
      ],
      Logging: { Type: 'File' as const },
    },
  };
}
