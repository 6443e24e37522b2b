import { jobLogBlobName } from '../../../shared/naming/jobLogBlobName';

describe('jobLogBlobName', () => {
  it('is <route>/<eventId>/a<attempt>.log, the event id one path segment', () => {
    expect(jobLogBlobName('billing', '6f1c2a7e-1b2c-4d5e-8f90-123456789abc', 2)).toBe(
      'billing/6f1c2a7e-1b2c-4d5e-8f90-123456789abc/a2.log',
    );
    expect(jobLogBlobName('r', 'orders/42?x#y', 1)).toBe('r/orders%2F42%3Fx%23y/a1.log');
    expect(jobLogBlobName('r', '..', 1)).toMatch(/^r\/sha256-[0-9a-f]{64}\/a1\.log$/);
  });

  it('hashes ids too long for a blob name, deterministically', () => {
    const long = 'x'.repeat(2000);
    expect(jobLogBlobName('r', long, 3)).toMatch(/^r\/sha256-[0-9a-f]{64}\/a3\.log$/);
    expect(jobLogBlobName('r', long, 3)).toBe(jobLogBlobName('r', long, 3));
    expect(jobLogBlobName('r', long, 3)).not.toBe(jobLogBlobName('r', `${long}y`, 3));
  });
});
