import { TableClient } from '@azure/data-tables';
import { TableEventLedger } from '../../../adapters/ledger/tableEventLedger';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { PermanentProviderError } from '../../../shared/errors/dispatchErrors';
import { azuriteTableClient } from '../../support/azuriteTables';

let azurite: RunningAzurite;
let ledger: TableEventLedger;
beforeAll(async () => {
  azurite = await startAzurite();
  ledger = new TableEventLedger({ client: tableClient('ledger'), createTable: true });
});
afterAll(async () => {
  await azurite?.close();
});

const tableClient = (name: string): TableClient => azuriteTableClient(azurite, name);

const source = 'https://example.com/orders?region=eu#1';

describe('TableEventLedger against Azurite', () => {
  test("a resubmission keeps its own attempts beside the original delivery's, ordered by generation", async () => {
    const key = { eventId: 'order-resubmitted', source };
    const settle = (
      attempt: number,
      instanceId: string,
      outcome: 'DeadLettered' | 'Succeeded',
      resubmission?: number,
    ) =>
      ledger.recordAttemptSettled({
        ...key,
        route: 'billing',
        attempt,
        ...(resubmission !== undefined ? { resubmission } : {}),
        instanceId,
        outcome,
        settledAt: '2026-11-29T11:00:00.000Z',
      });
    await ledger.recordAttemptStarted({
      ...key,
      route: 'billing',
      attempt: 1,
      instanceId: 'billing-h-a1',
      startedAt: '2026-11-29T10:00:00.000Z',
    });
    await settle(1, 'billing-h-a1', 'DeadLettered');
    // The resubmission starts again at attempt 1: a new row, not a duplicate of the first one.
    await ledger.recordAttemptStarted({
      ...key,
      route: 'billing',
      attempt: 1,
      resubmission: 1,
      instanceId: 'billing-h-g1-a1',
      startedAt: '2026-11-29T12:00:00.000Z',
    });
    await settle(1, 'billing-h-g1-a1', 'Succeeded', 1);
    const event = await ledger.find(key);
    expect(event?.attempts.map((a) => [a.instanceId, a.resubmission ?? 0, a.outcome])).toEqual([
      ['billing-h-a1', 0, 'DeadLettered'],
      ['billing-h-g1-a1', 1, 'Succeeded'],
    ]);
  });

  test('an accepted event: its routes, each attempt and its outcome', async () => {
    const key = { eventId: 'order-1', source };
    await ledger.recordReceived({
      ...key,
      type: 'order.created',
      messageId: 'm1',
      receivedAt: '2026-11-29T10:00:00.000Z',
      routes: ['billing', 'audit'],
    });
    await ledger.recordAttemptStarted({
      ...key,
      route: 'billing',
      attempt: 1,
      instanceId: 'billing-1-a1',
      startedAt: '2026-11-29T10:00:01.000Z',
    });
    await ledger.recordAttemptStarted({
      ...key,
      route: 'audit',
      attempt: 1,
      instanceId: 'audit-1-a1',
      startedAt: '2026-11-29T10:00:01.000Z',
    });
    await ledger.recordAttemptSettled({
      ...key,
      route: 'billing',
      attempt: 1,
      instanceId: 'billing-1-a1',
      outcome: 'Requeued',
      settledAt: '2026-11-29T10:01:00.000Z',
      reason: 'JobFailed',
      description: 'exit code 3',
      exitCode: 3,
    });
    // The requeued copy comes back through the trigger for its one route.
    await ledger.recordReceived({
      ...key,
      messageId: 'm2',
      receivedAt: '2026-11-29T10:02:00.000Z',
      routes: ['billing'],
    });
    await ledger.recordAttemptStarted({
      ...key,
      route: 'billing',
      attempt: 2,
      instanceId: 'billing-1-a2',
      startedAt: '2026-11-29T10:02:01.000Z',
    });
    await ledger.recordAttemptSettled({
      ...key,
      route: 'billing',
      attempt: 2,
      instanceId: 'billing-1-a2',
      outcome: 'Succeeded',
      settledAt: '2026-11-29T10:03:00.000Z',
      exitCode: 0,
      logUrl: 'http://127.0.0.1/devstoreaccount1/job-logs/billing/order-1/a2.log',
    });

    const expected = {
      eventId: 'order-1',
      source,
      type: 'order.created',
      messageId: 'm2',
      firstSeenAt: '2026-11-29T10:00:00.000Z',
      lastSeenAt: '2026-11-29T10:02:00.000Z',
      deliveries: 2,
      routes: ['audit', 'billing'],
      attempts: [
        { route: 'audit', attempt: 1, instanceId: 'audit-1-a1', startedAt: '2026-11-29T10:00:01.000Z' },
        {
          route: 'billing',
          attempt: 1,
          instanceId: 'billing-1-a1',
          startedAt: '2026-11-29T10:00:01.000Z',
          outcome: 'Requeued',
          settledAt: '2026-11-29T10:01:00.000Z',
          reason: 'JobFailed',
          description: 'exit code 3',
          exitCode: 3,
        },
        {
          route: 'billing',
          attempt: 2,
          instanceId: 'billing-1-a2',
          startedAt: '2026-11-29T10:02:01.000Z',
          outcome: 'Succeeded',
          settledAt: '2026-11-29T10:03:00.000Z',
          exitCode: 0,
          logUrl: 'http://127.0.0.1/devstoreaccount1/job-logs/billing/order-1/a2.log',
        },
      ],
    };
    expect(await ledger.find(key)).toEqual(expected);
    expect(await ledger.findById('order-1')).toEqual([expected]);
  });

  test('a rejection before any orchestration, also for a message that was no CloudEvent (no source)', async () => {
    await ledger.recordRejected({
      eventId: 'bad-1',
      source: 'urn:producer',
      type: 'x.y',
      receivedAt: '2026-11-29T10:00:00.000Z',
      reason: 'NoRoute',
      description: 'no route matches type "x.y"',
    });
    expect(await ledger.findById('bad-1')).toEqual([
      expect.objectContaining({
        source: 'urn:producer',
        routes: [],
        attempts: [],
        deliveries: 1,
        rejection: {
          reason: 'NoRoute',
          description: 'no route matches type "x.y"',
          at: '2026-11-29T10:00:00.000Z',
        },
      }),
    ]);
    await ledger.recordRejected({
      eventId: 'msg-7',
      source: '',
      messageId: 'msg-7',
      receivedAt: '2026-11-29T10:00:00.000Z',
      reason: 'InvalidEvent',
      description: 'body: invalid JSON at position 12',
    });
    expect(await ledger.find({ eventId: 'msg-7', source: '' })).toMatchObject({
      source: '',
      messageId: 'msg-7',
      rejection: { reason: 'InvalidEvent' },
    });
  });

  test('the same id from several sources: findById returns each, find only the one asked for', async () => {
    const sources = ['a', 'a b', 'a:b', 'a/b', 'ab', source];
    for (const s of sources)
      await ledger.recordReceived({
        eventId: 'shared-id',
        source: s,
        receivedAt: '2026-11-29T10:00:00.000Z',
        routes: [`r-${sources.indexOf(s)}`],
      });
    await ledger.recordAttemptStarted({
      eventId: 'shared-id',
      source: 'a',
      route: 'r-0',
      attempt: 1,
      instanceId: 'i-a',
      startedAt: '2026-11-29T10:00:01.000Z',
    });
    expect((await ledger.findById('shared-id')).map((e) => e.source).sort()).toEqual([...sources].sort());
    for (const s of sources) {
      const found = await ledger.find({ eventId: 'shared-id', source: s });
      expect([s, found?.routes]).toEqual([s, [`r-${sources.indexOf(s)}`]]);
      expect(found?.attempts.map((a) => a.instanceId)).toEqual(s === 'a' ? ['i-a'] : []);
    }
  });

  test('concurrent deliveries of one event lose no update (ETag read-modify-write)', async () => {
    const routes = Array.from({ length: 12 }, (_, i) => `route-${i}`);
    await Promise.all(
      routes.map((route, i) =>
        ledger.recordReceived({
          eventId: 'busy',
          source,
          receivedAt: `2026-11-29T10:00:${String(10 + i)}.000Z`,
          routes: [route],
        }),
      ),
    );
    const event = await ledger.find({ eventId: 'busy', source });
    expect(event?.deliveries).toBe(12);
    expect(event?.routes).toEqual([...routes].sort());
    expect(event?.firstSeenAt).toBe('2026-11-29T10:00:10.000Z');
    expect(event?.lastSeenAt).toBe('2026-11-29T10:00:21.000Z');
  });

  test('a duplicate delivery of a settled attempt keeps its outcome; a settle without a start creates the attempt', async () => {
    const key = { eventId: 'dup', source, route: 'r', attempt: 1, instanceId: 'r-dup-a1' };
    await ledger.recordAttemptStarted({ ...key, startedAt: '2026-11-29T10:00:00.000Z' });
    await ledger.recordAttemptSettled({
      ...key,
      outcome: 'DeadLettered',
      settledAt: '2026-11-29T10:01:00.000Z',
      reason: 'MaxAttempts',
      description: 'x'.repeat(40_000),
    });
    await ledger.recordAttemptStarted({ ...key, startedAt: '2026-11-29T10:05:00.000Z' });
    await ledger.recordAttemptSettled({
      ...key,
      attempt: 2,
      instanceId: 'r-dup-a2',
      outcome: 'Succeeded',
      settledAt: '2026-11-29T10:09:00.000Z',
    });
    const [first, second] = (await ledger.find({ eventId: 'dup', source }))?.attempts ?? [];
    expect(first).toMatchObject({
      startedAt: '2026-11-29T10:00:00.000Z',
      outcome: 'DeadLettered',
      reason: 'MaxAttempts',
    });
    expect(first?.description).toHaveLength(16_000);
    expect(second).toEqual({
      route: 'r',
      attempt: 2,
      instanceId: 'r-dup-a2',
      outcome: 'Succeeded',
      settledAt: '2026-11-29T10:09:00.000Z',
    });
  });

  test('ids and sources longer than a table key are stored under a hash and read back whole', async () => {
    const eventId = `long-${'é/#?'.repeat(600)}`;
    const longSource = `urn:${'s'.repeat(3000)}`;
    await ledger.recordReceived({
      eventId,
      source: longSource,
      receivedAt: '2026-11-29T10:00:00.000Z',
      routes: ['r'],
    });
    expect(await ledger.find({ eventId, source: longSource })).toMatchObject({
      eventId,
      source: longSource,
      routes: ['r'],
    });
  });

  test('a never-seen id is an empty answer, even before the table exists', async () => {
    const fresh = new TableEventLedger({ client: tableClient('notcreatedyet') });
    expect(await fresh.findById('nope')).toEqual([]);
    expect(await fresh.find({ eventId: 'nope', source })).toBeUndefined();
    expect(await ledger.findById('nope')).toEqual([]);
  });

  test('without createTable a missing table is a permanent error naming the operation', async () => {
    const fresh = new TableEventLedger({ client: tableClient('missingtable') });
    const failure = fresh.recordReceived({
      eventId: 'e',
      source,
      receivedAt: '2026-11-29T10:00:00.000Z',
      routes: [],
    });
    await expect(failure).rejects.toBeInstanceOf(PermanentProviderError);
    await expect(failure).rejects.toThrow(/record event e: 404 TableNotFound/);
  });
});
