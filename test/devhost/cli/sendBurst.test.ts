import { formatBurstSummary, percentile } from '../../../devhost/cli/sendBurst';

describe('send --count summary', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 20 }, (_, i) => (i + 1) * 100);
    expect(percentile(values, 50)).toBe(1000);
    expect(percentile(values, 95)).toBe(1900);
    expect(percentile([], 50)).toBeNull();
  });

  it('says what was sent, what settled and how', () => {
    expect(
      formatBurstSummary({
        sent: 10,
        settled: 9,
        outcomes: { Succeeded: 8, DeadLettered: 1, TimedOut: 1 },
        p50Ms: 3600,
        p95Ms: 4300,
        results: [],
      }),
    ).toBe(
      'sent 10, settled 9 (Succeeded 8, DeadLettered 1, TimedOut 1); send to settled p50 3.6s, p95 4.3s',
    );
  });
});
