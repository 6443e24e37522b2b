import { backoffDelayMs } from '../../../shared/policy/backoff';
import { pollDelayMs } from '../../../shared/policy/pollSchedule';

describe('backoffDelayMs', () => {
  const policy = { initialMs: 30_000, factor: 2, maxMs: 600_000 };

  it('grows by the factor from the initial delay and caps at max', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(n, policy))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000,
    ]);
  });

  it('stays finite for huge attempt numbers', () => {
    expect(backoffDelayMs(10_000, policy)).toBe(600_000);
  });

  it('supports a constant backoff (factor 1) and fractional factors', () => {
    expect(backoffDelayMs(5, { initialMs: 1000, factor: 1, maxMs: 5000 })).toBe(1000);
    expect(backoffDelayMs(3, { initialMs: 1000, factor: 1.5, maxMs: 5000 })).toBe(2250);
  });

  it('rejects attempt numbers below 1', () => {
    expect(() => backoffDelayMs(0, policy)).toThrow(/attempt must be an integer >= 1/);
  });
});

describe('pollDelayMs', () => {
  const poll = { initialMs: 5_000, maxMs: 60_000 };

  it('doubles from initial up to max', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map((i) => pollDelayMs(i, poll, Infinity))).toEqual([
      5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('never goes past the deadline', () => {
    expect(pollDelayMs(4, poll, 12_345)).toBe(12_345);
    expect(pollDelayMs(0, poll, 0)).toBe(0);
    expect(pollDelayMs(0, poll, -5)).toBe(0);
  });
});
