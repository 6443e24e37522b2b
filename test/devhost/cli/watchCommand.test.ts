import { formatJobsTable, watchLines, type WatchedJob } from '../../../devhost/cli/watchCommand';
import { jobsSettled } from '../../../devhost/cli/eventOutcome';
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

  it("shows a settled job's result, or why its output file gave none, under the table", () => {
    const lines = watchLines([
      job({ route: 'a', phase: 'Succeeded', runtimeStatus: 'Completed', exitCode: 0, output: { rows: 42 } }),
      job({
        route: 'b',
        instanceId: 'b-0123456789abcdef-a1',
        phase: 'Succeeded',
        runtimeStatus: 'Completed',
        exitCode: 0,
        outputError: 'no output file at /out/result.json',
      }),
      job({ route: 'c', instanceId: 'c-0123456789abcdef-a1', output: { partial: true } }),
    ]);
    expect(lines.slice(4)).toEqual([
      '  a result: {"rows":42}',
      '  b no result: no output file at /out/result.json',
    ]);
  });

  it("keeps the jobs of several events apart (bare watch): each one's result, settled only when all are", () => {
    const of = (eventId: string, over: Partial<WatchedJob>): WatchedJob =>
      job({ instanceId: `a-${eventId}-a1`, route: 'a', eventId, eventSource: '/s', ...over });
    const done = { phase: 'Succeeded', runtimeStatus: 'Completed', exitCode: 0 };
    const both = [of('e1', { ...done, output: { n: 1 } }), of('e2', { ...done, output: { n: 2 } })];
    expect(watchLines(both).slice(-2)).toEqual(['  a result: {"n":1}', '  a result: {"n":2}']);
    expect(jobsSettled(both)).toBe(true);
    expect(jobsSettled([both[0]!, of('e2', {})])).toBe(false);
  });
});
