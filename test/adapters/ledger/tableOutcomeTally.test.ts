import type { TableClient } from '@azure/data-tables';
import type { AttemptOutcome } from '../../../adapters/ledger/eventLedger';
import { TableEventLedger } from '../../../adapters/ledger/tableEventLedger';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { azuriteTableClient } from '../../support/azuriteTables';

let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

const tableClient = (name: string): TableClient => azuriteTableClient(azurite, name);

function settled(n: number, outcome: AttemptOutcome, reason?: string) {
  return {
    eventId: `e-${n}`,
    source: 'test',
    route: 'billing',
    attempt: 1,
    instanceId: `billing-${n}-a1`,
    outcome,
    settledAt: '2026-11-29T10:00:00.000Z',
    ...(reason !== undefined ? { reason } : {}),
  };
}

describe('the outcome tally in the ledger table', () => {
  test('concurrent settlements, each recorded twice, count once each', async () => {
    // Two shards: writers collide on the counters' ETags, which the tally must survive.
    const ledger = new TableEventLedger({
      client: tableClient('tallyrace'),
      createTable: true,
      tallyShards: 2,
    });
    const records = Array.from({ length: 60 }, (_, n) =>
      settled(n, n % 3 === 0 ? 'DeadLettered' : 'Succeeded', n % 6 === 0 ? 'JobFailed' : 'Timeout'),
    );
    // Every record twice, all at once: an activity retried while its first run is still writing.
    await Promise.all([...records, ...records].map((r) => ledger.recordAttemptSettled(r)));
    await Promise.all(
      records.slice(0, 10).map((r) => ledger.recordAttemptStarted({ ...r, startedAt: r.settledAt })),
    );
    await ledger.recordAttemptStarted({ ...settled(0, 'Succeeded'), startedAt: '2026-11-29T10:00:00.000Z' });
    const [billing, other] = await ledger.readTally(['billing', 'other']);
    expect(billing).toEqual({
      route: 'billing',
      received: 10,
      outcomes: { Succeeded: 40, Requeued: 0, DeadLettered: 20, Cancelled: 0 },
      deadLetterReasons: { JobFailed: 10, Timeout: 10 },
    });
    expect(other?.outcomes.Succeeded).toBe(0);
  });

  test('two app instances counting into the same rows (each with its own stale view) lose nothing', async () => {
    const client = tableClient('tallytwo');
    const a = new TableEventLedger({ client, createTable: true, tallyShards: 1 });
    const b = new TableEventLedger({ client, createTable: true, tallyShards: 1 });
    for (let n = 0; n < 12; n++) await (n % 2 === 0 ? a : b).recordAttemptSettled(settled(n, 'Requeued'));
    await Promise.all([
      a.recordAttemptSettled(settled(3, 'Requeued')),
      b.recordAttemptSettled(settled(12, 'Cancelled')),
    ]);
    const [tally] = await a.readTally(['billing']);
    expect(tally?.outcomes).toEqual({ Succeeded: 0, Requeued: 12, DeadLettered: 0, Cancelled: 1 });
  });

  test('a table nothing was written to reads as zeros', async () => {
    const ledger = new TableEventLedger({ client: tableClient('tallynone') });
    const [tally] = await ledger.readTally(['billing']);
    expect(tally?.received).toBe(0);
    expect(tally?.deadLetterReasons).toEqual({});
  });
});
