import { formatJobsTable, type WatchedJob } from '../../../devhost/cli/watchCommand';
import { jobView } from '../../support/jobViews';

const job = (over: Partial<WatchedJob>): WatchedJob => jobView(over);

describe('dispatcher watch table', () => {
  it('shows what a job waiting for capacity waits for, since when and the queue there', () => {
    const lines = formatJobsTable([
      job({
        phase: 'WaitingForCapacity',
        admission: {
          target: '00000000-0000-0000-0000-000000000000/westeurope',
          queueLength: 12,
          since: '2026-01-01T10:41:07.000Z',
        },
      }),
      job({ attempt: 2, phase: 'Succeeded', runtimeStatus: 'Completed', exitCode: 0 }),
    ]);
    expect(lines[0]).toMatch(/^ROUTE\s+ATTEMPT\s+PHASE\s+STATUS\s+EXIT\s+REASON$/);
    expect(lines[1]).toMatch(
      /^hello\s+1\s+WaitingForCapacity\s+Running\s+-\s+capacity on 00000000-0000-0000-0000-000000000000\/westeurope since 10:41:07, 12 waiting$/,
    );
    expect(lines[2]).toMatch(/^hello\s+2\s+Succeeded\s+Completed\s+0$/);
  });
});
