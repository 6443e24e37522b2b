import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { RestError } from '@azure/core-rest-pipeline';
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { isNotFound } from '../../shared/errors/isNotFound';
import type { AttemptOutcome } from './eventLedger';
import { keyPart } from './ledgerKeys';
import { emptyTally, type OutcomeTally, type RouteTally } from './outcomeTally';

/** Counter rows per route: settlements spread over them so concurrent writers rarely race for one ETag. */
export const DEFAULT_TALLY_SHARDS = 8;

/** Tables allow 252 properties a row; reasons beyond what fits land in `dl_Other` (the ledger keeps them all). */
const MAX_REASONS = 200;
const COUNTER_ROW = 'counts';
const OUTCOMES: readonly AttemptOutcome[] = ['Succeeded', 'Requeued', 'DeadLettered', 'Cancelled'];

type CounterRow = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** What one start or settlement adds to its route's counters. */
export interface TallyIncrement {
  route: string;
  instanceId: string;
  /** Which record of the attempt this is: each kind counts once per instance. */
  kind: 'started' | 'settled';
  counts: Record<string, number>;
}

/** The counter property names (Table property names are identifiers; reasons are PascalCase words). */
export function reasonProperty(reason: string): string {
  return `dl_${reason.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 200)}`;
}

export function outcomeIncrement(
  outcome: AttemptOutcome,
  reason: string | undefined,
): Record<string, number> {
  return outcome === 'DeadLettered'
    ? { [outcome]: 1, [reasonProperty(reason ?? 'Unknown')]: 1 }
    : { [outcome]: 1 };
}

/**
 * {@link OutcomeTally} in the ledger's table. Partition `%tally:<route>:<shard>` (no event id encodes to a key
 * starting `%t`) holds one counter row and one marker row per counted (instance, record kind). A count is one
 * entity-group transaction: insert the marker and update the counter under its ETag. The transaction is atomic,
 * so a marker exists exactly when its increment was applied: a second record of the same attempt fails on
 * the marker (409) and changes nothing, and a lost ETag race rereads the counter and tries again.
 */
export class TableOutcomeTally implements OutcomeTally {
  /**
   * The counter rows this instance last wrote, with their ETags: the next count starts from them instead of
   * reading first. Stale when another instance wrote since; then the ETag check fails and the row is reread.
   */
  private readonly known = new Map<string, TableEntityResult<CounterRow>>();

  constructor(
    private readonly client: TableClient,
    private readonly shards = DEFAULT_TALLY_SHARDS,
    private readonly maxConflictRetries = 50,
  ) {}

  async add(increment: TallyIncrement): Promise<void> {
    const partitionKey = this.partition(increment.route, shardOf(increment.instanceId, this.shards));
    const marker = { partitionKey, rowKey: `${increment.kind}:${keyPart(increment.instanceId)}` };
    for (let round = 1; ; round++) {
      const cached = round === 1 ? this.known.get(partitionKey) : undefined;
      const counter = cached ?? (await this.readCounter(partitionKey));
      const next: CounterRow = { partitionKey, rowKey: COUNTER_ROW };
      for (const [name, by] of Object.entries(increment.counts)) {
        const property = countedProperty(name, counter);
        next[property] = (numberOf(next[property]) ?? numberOf(counter?.[property]) ?? 0) + by;
      }
      try {
        const response = await this.client.submitTransaction([
          ['create', marker],
          counter ? ['update', next, 'Merge', { etag: counter.etag }] : ['create', next],
        ]);
        const etag = response.getResponseForEntity(COUNTER_ROW)?.etag;
        if (etag) this.known.set(partitionKey, { ...counter, ...next, etag });
        else this.known.delete(partitionKey);
        return;
      } catch (err) {
        this.known.delete(partitionKey);
        if (!(err instanceof RestError) || (err.statusCode !== 409 && err.statusCode !== 412)) throw err;
        // Counted before (this is a retry or replay of the same record): nothing to add.
        if (await this.exists(marker.partitionKey, marker.rowKey)) return;
        if (round >= this.maxConflictRetries) throw err;
        await delay(Math.random() * 5 * Math.min(round, 10));
      }
    }
  }

  async read(routes: readonly string[]): Promise<RouteTally[]> {
    return Promise.all(
      routes.map(async (route) => {
        const tally = emptyTally(route);
        const rows = await Promise.all(
          Array.from({ length: this.shards }, (_, shard) => this.readCounter(this.partition(route, shard))),
        );
        for (const row of rows) if (row) addRow(tally, row);
        return tally;
      }),
    );
  }

  private partition(route: string, shard: number): string {
    return `%tally:${keyPart(route)}:${shard}`;
  }

  private async readCounter(partitionKey: string): Promise<TableEntityResult<CounterRow> | undefined> {
    try {
      return await this.client.getEntity<CounterRow>(partitionKey, COUNTER_ROW);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async exists(partitionKey: string, rowKey: string): Promise<boolean> {
    try {
      await this.client.getEntity(partitionKey, rowKey, { queryOptions: { select: ['PartitionKey'] } });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}

/** A new reason property only while the row has room; otherwise it counts under `dl_Other`. */
function countedProperty(name: string, counter: Record<string, unknown> | undefined): string {
  if (!name.startsWith('dl_') || counter === undefined || name in counter) return name;
  const reasons = Object.keys(counter).filter((key) => key.startsWith('dl_')).length;
  return reasons < MAX_REASONS ? name : 'dl_Other';
}

function addRow(tally: RouteTally, row: Record<string, unknown>): void {
  tally.received += numberOf(row.received) ?? 0;
  for (const outcome of OUTCOMES) tally.outcomes[outcome] += numberOf(row[outcome]) ?? 0;
  for (const [name, value] of Object.entries(row)) {
    if (!name.startsWith('dl_')) continue;
    const reason = name.slice(3);
    tally.deadLetterReasons[reason] = (tally.deadLetterReasons[reason] ?? 0) + (numberOf(value) ?? 0);
  }
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A stable shard per instance, so every record of one attempt meets its own marker. */
function shardOf(instanceId: string, shards: number): number {
  return createHash('sha256').update(instanceId).digest().readUInt32BE(0) % shards;
}
