import type { InstanceSnapshot } from '../../../functions/status/jobStatus';
import { toJobView } from '../../../functions/status/jobStatus';
import { summarizeJobs } from '../../../functions/dashboard/summarizeJobs';
import { splitInstances } from '../../../functions/stats/countSources';
import { emptyTally } from '../../../adapters/ledger/outcomeTally';

function instance(
  route: string,
  n: number,
  phase: string,
  extra: Partial<InstanceSnapshot> = {},
): InstanceSnapshot {
  const created = new Date(Date.UTC(2026, 10, 29, 10, 0, 0) + n * 1000).toISOString();
  return {
    name: 'dispatchJob',
    instanceId: `${route}-${n.toString(16).padStart(16, '0')}-a1`,
    runtimeStatus: ['Succeeded', 'Requeued', 'DeadLettered'].includes(phase) ? 'Completed' : 'Running',
    customStatus: {
      phase,
      route,
      eventId: `evt-${n}`,
      attempt: 1,
      maxAttempts: 3,
      containerGroup: `${route}-${n}`,
      polls: 2,
      deadline: '2026-11-29T11:00:00.000Z',
      target: { subscriptionId: 's', resourceGroup: 'jobs', location: 'westeurope' },
      execution: 1,
    },
    createdTime: created,
    lastUpdatedTime: created,
    ...extra,
  };
}

describe('summarizeJobs', () => {
  it('counts attempts by route and phase, failed orchestrations as Failed, and lists running ones oldest first', () => {
    const overview = summarizeJobs(
      splitInstances([
        instance('hello', 3, 'Watching'),
        instance('hello', 1, 'Succeeded'),
        instance('hello', 2, 'Creating'),
        instance('fail', 4, 'DeadLettered'),
        instance('fail', 5, 'Watching', { runtimeStatus: 'Failed' }),
        { ...instance('hello', 6, 'Succeeded'), instanceId: 'not-a-dispatch-job', customStatus: undefined },
      ]),
      10,
    );
    expect(overview.routes).toEqual([
      { route: 'fail', counts: { DeadLettered: 1, Failed: 1 }, total: 2 },
      { route: 'hello', counts: { Watching: 1, Succeeded: 1, Creating: 1 }, total: 3 },
    ]);
    expect(overview.running.map((j) => j.eventId)).toEqual(['evt-2', 'evt-3']);
    expect(overview.runningTotal).toBe(2);
    expect(overview.total).toBe(5);
  });

  // How fast it is with 10,000 jobs is measured by `npm run bench:dashboard`, not timed here.
  it('counts 10,000 attempts and caps the running list', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      instance(`route-${i % 7}`, i, i % 3 === 0 ? 'Watching' : 'Succeeded'),
    );
    const overview = summarizeJobs(splitInstances(many), 200);
    expect(overview.total).toBe(10_000);
    expect(overview.runningTotal).toBe(3334);
    expect(overview.running).toHaveLength(200);
    expect(overview.routes.reduce((sum, r) => sum + r.total, 0)).toBe(10_000);
  });
});

describe('toJobView', () => {
  it('shows what the dashboard and watch need: event, deadline, target, and from the output the description, next attempt and log tail', () => {
    const view = toJobView(
      instance('fail', 1, 'Requeued', {
        output: {
          outcome: 'Requeued',
          description: 'JobFailed: container exited with code 3',
          scheduledEnqueueTime: '2026-11-29T10:05:00.000Z',
          logTail: 'starting\nsomething broke',
        },
      }),
    );
    expect(view).toMatchObject({
      eventId: 'evt-1',
      maxAttempts: 3,
      polls: 2,
      deadline: '2026-11-29T11:00:00.000Z',
      target: 'jobs/westeurope',
      description: 'JobFailed: container exited with code 3',
      nextAttemptAt: '2026-11-29T10:05:00.000Z',
      logTail: 'starting\nsomething broke',
    });
  });

  it('takes settled attempts from the tally and in-flight ones from the live instances', () => {
    const tally = emptyTally('hello');
    tally.outcomes.Succeeded = 9_990;
    tally.outcomes.DeadLettered = 4;
    const overview = summarizeJobs(
      {
        tallies: [tally],
        live: [instance('hello', 1, 'Watching')],
        failed: [instance('fail', 2, 'Creating')],
      },
      10,
    );
    expect(overview.routes).toEqual([
      { route: 'fail', counts: { Failed: 1 }, total: 1 },
      { route: 'hello', counts: { Succeeded: 9_990, DeadLettered: 4, Watching: 1 }, total: 9_995 },
    ]);
    expect(overview.runningTotal).toBe(1);
    expect(overview.total).toBe(9_996);
  });
});
