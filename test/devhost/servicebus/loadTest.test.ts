import { runServiceBusLoadTest } from '../../../devhost/servicebus/loadTest';

describe('Service Bus emulator load', () => {
  test('10,000 messages through 4 concurrent peek-lock receivers: none lost, none delivered twice', async () => {
    const result = await runServiceBusLoadTest({
      messages: 10_000,
      receivers: 4,
      timeoutMs: 30_000,
      log: (line) => console.log(line),
    });
    expect(result.lost).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.messages).toBe(10_000);
    expect(result.perSecond).toBeGreaterThan(0);
  });
});
