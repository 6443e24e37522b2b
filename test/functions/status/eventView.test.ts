import type { LedgerEvent } from '../../../adapters/ledger/eventLedger';
import type { JobView } from '../../../functions/status/jobStatus';
import { buildEventView } from '../../../functions/status/eventView';
import { jobView } from '../../support/jobViews';

const source = 'urn:orders';
const event = (overrides: Partial<LedgerEvent> = {}): LedgerEvent => ({
  eventId: 'e1',
  source,
  firstSeenAt: '2026-11-29T10:00:00.000Z',
  lastSeenAt: '2026-11-29T10:00:00.000Z',
  deliveries: 1,
  routes: [],
  attempts: [],
  ...overrides,
});
const live = (overrides: Partial<JobView>): JobView =>
  jobView({
    instanceId: 'billing-x-a1',
    eventId: 'e1',
    eventSource: 'urn:a',
    route: 'billing',
    containerGroup: 'cg-1',
    createdTime: '2026-11-29T10:00:01.000Z',
    lastUpdatedTime: '2026-11-29T10:00:05.000Z',
    ...overrides,
  });

describe('buildEventView', () => {
  it('is undefined (404) only when neither the ledger nor an orchestration knows the id', () => {
    expect(buildEventView('e1', [], [])).toBeUndefined();
    expect(buildEventView('e1', [], [live({})])?.state).toBe('InProgress');
  });

  it('shows a rejected event at once, with its reason and description', () => {
    const rejection = {
      reason: 'NoRoute',
      description: 'no route matches type "x"',
      at: '2026-11-29T10:00:00.000Z',
    };
    expect(buildEventView('e1', [event({ rejection })], [])).toEqual({
      eventId: 'e1',
      state: 'Rejected',
      rejection: { source, ...rejection },
      events: [
        {
          eventId: 'e1',
          source,
          firstSeenAt: '2026-11-29T10:00:00.000Z',
          lastSeenAt: '2026-11-29T10:00:00.000Z',
          deliveries: 1,
          routes: [],
          rejection,
        },
      ],
      jobs: [],
    });
  });

  it('an accepted event whose attempt is not visible yet is in progress', () => {
    const view = buildEventView(
      'e1',
      [
        event({
          routes: ['billing'],
          attempts: [
            {
              route: 'billing',
              attempt: 1,
              instanceId: 'billing-x-a1',
              startedAt: '2026-11-29T10:00:01.000Z',
            },
          ],
        }),
      ],
      [],
    );
    expect(view?.state).toBe('InProgress');
    expect(view?.jobs).toEqual([
      expect.objectContaining({ instanceId: 'billing-x-a1', phase: 'Pending', runtimeStatus: 'Pending' }),
    ]);
  });

  it('joins live phases with ledger outcomes and log URLs; settled when every route is final', () => {
    const ledger = [
      event({
        routes: ['audit', 'billing'],
        attempts: [
          {
            route: 'billing',
            attempt: 1,
            instanceId: 'billing-x-a1',
            outcome: 'Requeued',
            reason: 'JobFailed',
            exitCode: 3,
            settledAt: '2026-11-29T10:01:00.000Z',
            logUrl: 'http://blob/a1.log',
          },
          { route: 'billing', attempt: 2, instanceId: 'billing-x-a2' },
          {
            route: 'audit',
            attempt: 1,
            instanceId: 'audit-x-a1',
            outcome: 'Succeeded',
            exitCode: 0,
            settledAt: '2026-11-29T10:00:30.000Z',
          },
        ],
      }),
    ];
    const running = buildEventView('e1', ledger, [
      live({ instanceId: 'billing-x-a2', attempt: 2, eventSource: source }),
    ]);
    expect(running?.state).toBe('InProgress');
    expect(running?.jobs.map((j) => [j.route, j.attempt, j.phase, j.logUrl])).toEqual([
      ['audit', 1, 'Succeeded', undefined],
      ['billing', 1, 'Requeued', 'http://blob/a1.log'],
      ['billing', 2, 'Watching', undefined],
    ]);
    const done = buildEventView('e1', ledger, [
      live({
        instanceId: 'billing-x-a2',
        eventSource: source,
        attempt: 2,
        phase: 'DeadLettered',
        runtimeStatus: 'Completed',
      }),
    ]);
    expect(done?.state).toBe('Settled');
  });

  it('is settled by the newest resubmission generation, not by the highest attempt number of an older one', () => {
    const ledger = [
      event({
        attempts: [
          { route: 'billing', attempt: 1, instanceId: 'billing-x-a1', outcome: 'Requeued' },
          { route: 'billing', attempt: 2, instanceId: 'billing-x-a2', outcome: 'DeadLettered' },
          { route: 'billing', attempt: 1, resubmission: 1, instanceId: 'billing-x-g1-a1' },
        ],
      }),
    ];
    const view = buildEventView('e1', ledger, [
      live({ instanceId: 'billing-x-g1-a1', eventSource: source, resubmission: 1, phase: 'Watching' }),
    ]);
    expect(view?.state).toBe('InProgress');
    expect(view?.jobs.map((j) => [j.resubmission, j.attempt, j.phase])).toEqual([
      [0, 1, 'Requeued'],
      [0, 2, 'DeadLettered'],
      [1, 1, 'Watching'],
    ]);
  });
});
