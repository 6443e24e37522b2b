import { decideSweep, type AttemptSnapshot } from '../../../functions/sweepOrphans/decideSweep';

const now = Date.parse('2026-01-01T12:00:00Z');
const grace = 15 * 60_000;
const minutesAgo = (m: number): string => new Date(now - m * 60_000).toISOString();
const group = (tags: Record<string, string>) => ({ name: 'g', tags });
const ours = group({ 'dispatcher-instance': 'r-0123456789abcdef-a1', 'dispatcher-created': minutesAgo(60) });
const attempt = (
  runtimeStatus: string,
  lastUpdatedMinutesAgo: number,
  deadline?: string,
): AttemptSnapshot => ({
  runtimeStatus,
  lastUpdatedTime: minutesAgo(lastUpdatedMinutesAgo),
  ...(deadline ? { customStatus: { phase: 'Watching', deadline } } : {}),
});

describe('decideSweep', () => {
  it('ignores groups without the instance tag', () => {
    expect(decideSweep(group({ owner: 'x' }), undefined, now, grace)).toEqual({ action: 'ignore' });
  });

  it('deletes an orphan once it is older than the grace, or when its age is unknown', () => {
    expect(decideSweep(ours, undefined, now, grace).action).toBe('deletedOrphan');
    const young = group({ 'dispatcher-instance': 'x', 'dispatcher-created': minutesAgo(5) });
    expect(decideSweep(young, undefined, now, grace).action).toBe('keep');
    expect(decideSweep(group({ 'dispatcher-instance': 'x' }), undefined, now, grace).action).toBe(
      'deletedOrphan',
    );
  });

  it('deletes the group of a finished orchestration once the grace has passed', () => {
    for (const status of ['Completed', 'Failed', 'Terminated', 'Canceled']) {
      expect(decideSweep(ours, attempt(status, 20), now, grace).action).toBe('deletedFinished');
      expect(decideSweep(ours, attempt(status, 10), now, grace).action).toBe('keep');
    }
  });

  it('never touches a live attempt within its deadline plus grace; stops one overdue', () => {
    expect(decideSweep(ours, attempt('Running', 1, minutesAgo(-30)), now, grace).action).toBe('keep');
    expect(decideSweep(ours, attempt('Running', 1, minutesAgo(10)), now, grace).action).toBe('keep');
    expect(decideSweep(ours, attempt('ContinuedAsNew', 1, minutesAgo(20)), now, grace).action).toBe(
      'stoppedOverdue',
    );
    // No deadline yet (Pending, or waiting for capacity before any create): live.
    expect(decideSweep(ours, attempt('Pending', 100), now, grace).action).toBe('keep');
    expect(decideSweep(ours, attempt('Suspended', 1, minutesAgo(600)), now, grace).action).toBe('keep');
  });
});
