import {
  MAX_DESCRIPTION_LENGTH,
  deadLetterDescription,
  decideSettlement,
} from '../../../orchestrations/dispatchJob/decideSettlement';

const ctx = (attempt: number, nonRetryableExitCodes: number[] = []) => ({
  attempt,
  maxAttempts: 3,
  nonRetryableExitCodes,
});

describe('decideSettlement', () => {
  it('completes on exit code 0', () => {
    expect(decideSettlement({ kind: 'exited', exitCode: 0 }, ctx(3))).toEqual({
      action: 'complete',
      exitCode: 0,
    });
  });

  it('requeues a failure while attempts are left, dead-letters it after the last', () => {
    expect(decideSettlement({ kind: 'exited', exitCode: 2 }, ctx(1))).toEqual({
      action: 'requeue',
      lastError: 'JobFailed: container exited with code 2',
      exitCode: 2,
    });
    expect(decideSettlement({ kind: 'exited', exitCode: 2 }, ctx(3))).toEqual({
      action: 'dead-letter',
      reason: 'JobFailed',
      summary: 'container exited with code 2; no attempts left (3/3)',
      exitCode: 2,
    });
  });

  it('dead-letters a non-retryable exit code at once', () => {
    expect(decideSettlement({ kind: 'exited', exitCode: 64 }, ctx(1, [64]))).toMatchObject({
      action: 'dead-letter',
      reason: 'NonRetryableExitCode',
      exitCode: 64,
    });
  });

  it('treats timeouts, lost jobs and create failures as retryable', () => {
    expect(decideSettlement({ kind: 'timed-out', timeout: 'PT1H' }, ctx(2))).toEqual({
      action: 'requeue',
      lastError: 'JobTimedOut: job did not finish within PT1H; it was stopped and deleted',
    });
    expect(decideSettlement({ kind: 'timed-out', timeout: 'PT1H' }, ctx(3))).toMatchObject({
      action: 'dead-letter',
      reason: 'JobTimedOut',
    });
    expect(decideSettlement({ kind: 'create-failed', capacity: true, message: 'm' }, ctx(3))).toMatchObject({
      reason: 'CapacityExhausted',
    });
    expect(decideSettlement({ kind: 'create-failed', capacity: false, message: 'm' }, ctx(1))).toMatchObject({
      action: 'requeue',
    });
    expect(decideSettlement({ kind: 'lost', message: 'gone' }, ctx(3))).toMatchObject({ reason: 'JobLost' });
    expect(decideSettlement({ kind: 'exited' }, ctx(1))).toMatchObject({
      action: 'requeue',
      lastError: 'JobFailed: container failed without an exit code',
    });
  });

  it('dead-letters permanent failures on the first attempt', () => {
    expect(
      decideSettlement(
        { kind: 'permanent', reason: 'ImagePullFailed', message: 'pull access denied' },
        ctx(1),
      ),
    ).toEqual({
      action: 'dead-letter',
      reason: 'ImagePullFailed',
      summary: 'pull access denied',
    });
  });
});

describe('deadLetterDescription', () => {
  it('appends the log tail, clipped from the front to a bounded size', () => {
    expect(deadLetterDescription('header', '')).toBe('header');
    expect(deadLetterDescription('header', 'line1\nline2\n')).toBe('header\nLog tail:\nline1\nline2');
    const long = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
    const description = deadLetterDescription('header', long);
    expect(description.length).toBe(MAX_DESCRIPTION_LENGTH);
    expect(description.startsWith('header\nLog tail:\n…')).toBe(true);
    expect(description.endsWith('line 1999')).toBe(true);
    expect(deadLetterDescription('h'.repeat(10_000), long).length).toBeLessThanOrEqual(
      MAX_DESCRIPTION_LENGTH,
    );
  });
});
