import { setTimeout as delay } from 'node:timers/promises';
import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { RestError } from '@azure/core-rest-pipeline';
import { isNotFound } from '../../shared/errors/isNotFound';
import { classifyStorageError } from '../storage/classifyStorageError';
import type {
  AttemptSettled,
  AttemptStarted,
  EventKey,
  EventLedger,
  LedgerEvent,
  ReceivedEvent,
  RejectedEvent,
} from './eventLedger';
import { attemptRowKey, attemptRowKeyRange, eventRowKey, partitionKey } from './ledgerKeys';
import { eventFromRows, type AttemptRow, type EventRow } from './ledgerRows';
import type { RouteTally } from './outcomeTally';
import { DEFAULT_TALLY_SHARDS, outcomeIncrement, TableOutcomeTally } from './tableOutcomeTally';

export interface TableEventLedgerOptions {
  client: TableClient;
  /** Create the table on first use: for the emulator only (in Azure infra creates it; see AzureBlobStore). */
  createTable?: boolean;
  /** Read-modify-write rounds before giving up when writers keep colliding (ETag mismatch). Default 20. */
  maxConflictRetries?: number;
  /** Counter rows per route of the outcome tally. Default 8; changing it later loses no counts only if raised. */
  tallyShards?: number;
}

/** Table properties hold at most 64 KiB (32 K UTF-16 characters); descriptions are cut well below that. */
const MAX_TEXT = 16_000;

/**
 * {@link EventLedger} over Azure Table Storage (`@azure/data-tables`; Azurite offline). One partition per
 * event id holding one row per (source) and one per (source, route, attempt), so reading an event is one
 * partition query, and writers of different attempts never touch the same row. The event row is shared by
 * every delivery of the event and is updated read-modify-write under its ETag (If-Match), retried on 412/409.
 */
export class TableEventLedger implements EventLedger {
  private readonly client: TableClient;
  private readonly createTable: boolean;
  private readonly maxConflictRetries: number;
  private readonly tally: TableOutcomeTally;
  private tableReady: Promise<void> | undefined;

  constructor(options: TableEventLedgerOptions) {
    this.client = options.client;
    this.createTable = options.createTable ?? false;
    this.maxConflictRetries = options.maxConflictRetries ?? 20;
    this.tally = new TableOutcomeTally(options.client, options.tallyShards ?? DEFAULT_TALLY_SHARDS);
  }

  recordReceived(event: ReceivedEvent): Promise<void> {
    return this.updateEventRow(event, `record event ${event.eventId}`, (row) => {
      const routes = new Set<string>(row ? (JSON.parse(row.routes) as string[]) : []);
      event.routes.forEach((route) => routes.add(route));
      return {
        ...delivery(row, event, event.receivedAt),
        ...(event.type !== undefined ? { type: event.type } : {}),
        ...(event.subject !== undefined ? { subject: event.subject } : {}),
        routes: JSON.stringify([...routes].sort()),
      };
    });
  }

  recordRejected(event: RejectedEvent): Promise<void> {
    return this.updateEventRow(event, `record rejection of ${event.eventId}`, (row) => ({
      ...delivery(row, event, event.receivedAt),
      ...(event.type !== undefined ? { type: event.type } : {}),
      ...(event.subject !== undefined ? { subject: event.subject } : {}),
      routes: row?.routes ?? '[]',
      rejectionReason: event.reason,
      rejectionDescription: event.description.slice(0, MAX_TEXT),
      rejectedAt: event.receivedAt,
    }));
  }

  async recordAttemptStarted(attempt: AttemptStarted): Promise<void> {
    const row: AttemptRow = {
      ...attemptRowIdentity(attempt),
      startedAt: attempt.startedAt,
    };
    await this.write(`record attempt ${attempt.instanceId}`, async () => {
      try {
        await this.client.createEntity(row);
      } catch (err) {
        // A duplicate delivery of the same attempt: the first record (and any outcome since) stands.
        if (!(err instanceof RestError && err.statusCode === 409)) throw err;
      }
    });
    if (attempt.attempt === 1)
      await this.write(`count attempt ${attempt.instanceId}`, () =>
        this.tally.add({
          route: attempt.route,
          instanceId: attempt.instanceId,
          kind: 'started',
          counts: { received: 1 },
        }),
      );
  }

  async recordAttemptSettled(attempt: AttemptSettled): Promise<void> {
    const row: Omit<AttemptRow, 'startedAt'> = {
      ...attemptRowIdentity(attempt),
      outcome: attempt.outcome,
      settledAt: attempt.settledAt,
      ...(attempt.reason !== undefined ? { reason: attempt.reason } : {}),
      ...(attempt.description !== undefined ? { description: attempt.description.slice(0, MAX_TEXT) } : {}),
      ...(attempt.exitCode !== undefined ? { exitCode: attempt.exitCode } : {}),
      ...(attempt.logUrl !== undefined ? { logUrl: attempt.logUrl } : {}),
      ...(attempt.logArchiveError !== undefined
        ? { logArchiveError: attempt.logArchiveError.slice(0, MAX_TEXT) }
        : {}),
    };
    // Merge keeps startedAt; the settle of one attempt is its last word, so no ETag is needed.
    await this.write(`record outcome of ${attempt.instanceId}`, () => this.client.upsertEntity(row, 'Merge'));
    // After the row, so a failed count is reported like a failed row; recording again never counts twice.
    await this.write(`count outcome of ${attempt.instanceId}`, () =>
      this.tally.add({
        route: attempt.route,
        instanceId: attempt.instanceId,
        kind: 'settled',
        counts: outcomeIncrement(attempt.outcome, attempt.reason),
      }),
    );
  }

  async readTally(routes: readonly string[]): Promise<RouteTally[]> {
    try {
      return await this.tally.read(routes);
    } catch (err) {
      throw classifyStorageError(err, 'read the outcome tally');
    }
  }

  async findById(eventId: string): Promise<LedgerEvent[]> {
    const rows = await this.query(odata`PartitionKey eq ${partitionKey(eventId)}`, `read event ${eventId}`);
    const bySource = new Map<string, Array<EventRow | AttemptRow>>();
    for (const row of rows) bySource.set(row.source, [...(bySource.get(row.source) ?? []), row]);
    return [...bySource.values()].map(eventFromRows);
  }

  async find(key: EventKey): Promise<LedgerEvent | undefined> {
    const { from, below } = attemptRowKeyRange(key.source);
    const rows = await this.query(
      odata`PartitionKey eq ${partitionKey(key.eventId)} and (RowKey eq ${eventRowKey(key.source)} or (RowKey ge ${from} and RowKey lt ${below}))`,
      `read event ${key.eventId}`,
    );
    return rows.length > 0 ? eventFromRows(rows) : undefined;
  }

  /**
   * Read-modify-write of the event row under its ETag; a lost race (409 on insert, 412 on update) rereads. The
   * first round inserts without reading: most events are delivered once, so that is one round trip, not two.
   */
  private async updateEventRow(
    key: EventKey,
    what: string,
    change: (
      row: EventRow | undefined,
    ) => Omit<EventRow, 'partitionKey' | 'rowKey' | 'kind' | 'eventId' | 'source'>,
  ): Promise<void> {
    const keys = { partitionKey: partitionKey(key.eventId), rowKey: eventRowKey(key.source) };
    await this.write(what, async () => {
      for (let round = 1; ; round++) {
        const current = round === 1 ? undefined : await this.readEventRow(keys.partitionKey, keys.rowKey);
        const next: EventRow = {
          ...keys,
          kind: 'event',
          eventId: key.eventId,
          source: key.source,
          ...change(current),
        };
        try {
          if (current) await this.client.updateEntity(next, 'Merge', { etag: current.etag });
          else await this.client.createEntity(next);
          return;
        } catch (err) {
          const lostRace = err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412);
          if (!lostRace || round >= this.maxConflictRetries) throw err;
          // An existing row (the blind first insert) is no contention: reread at once.
          if (round > 1) await delay(5 * round);
        }
      }
    });
  }

  private async readEventRow(pk: string, rk: string): Promise<TableEntityResult<EventRow> | undefined> {
    try {
      return await this.client.getEntity<EventRow>(pk, rk);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async query(filter: string, what: string): Promise<Array<EventRow | AttemptRow>> {
    try {
      const rows: Array<EventRow | AttemptRow> = [];
      for await (const row of this.client.listEntities<EventRow | AttemptRow>({ queryOptions: { filter } }))
        rows.push(row);
      return rows;
    } catch (err) {
      // Nothing was ever recorded (the emulator's table is created on the first write).
      if (isNotFound(err)) return [];
      throw classifyStorageError(err, what);
    }
  }

  /** Runs a write, creating the table first when allowed, and maps failures to the dispatcher's errors. */
  private async write(what: string, operation: () => Promise<unknown>): Promise<void> {
    try {
      if (this.createTable) await (this.tableReady ??= this.ensureTable());
      await operation();
    } catch (err) {
      throw classifyStorageError(err, what);
    }
  }

  private async ensureTable(): Promise<void> {
    try {
      await this.client.createTable();
    } catch (err) {
      this.tableReady = undefined;
      if (!(err instanceof RestError && err.statusCode === 409)) throw err;
    }
  }
}

/** The delivery bookkeeping every event-row update shares. */
function delivery(
  row: EventRow | undefined,
  event: { messageId?: string },
  at: string,
): Pick<EventRow, 'firstSeenAt' | 'lastSeenAt' | 'deliveries' | 'messageId'> {
  const firstSeenAt = row?.firstSeenAt !== undefined && row.firstSeenAt < at ? row.firstSeenAt : at;
  const lastSeenAt = row?.lastSeenAt !== undefined && row.lastSeenAt > at ? row.lastSeenAt : at;
  return {
    firstSeenAt,
    lastSeenAt,
    deliveries: (row?.deliveries ?? 0) + 1,
    ...(event.messageId !== undefined
      ? { messageId: event.messageId }
      : row?.messageId !== undefined
        ? { messageId: row.messageId }
        : {}),
  };
}

/**
 * What every attempt row of one attempt has, whoever writes it (start or settle): its keys, and the attempt's
 * identity; the resubmission generation only when there is one (original attempts' rows stay as they were).
 */
function attemptRowIdentity(
  attempt: AttemptStarted | AttemptSettled,
): Pick<
  AttemptRow,
  | 'partitionKey'
  | 'rowKey'
  | 'kind'
  | 'eventId'
  | 'source'
  | 'route'
  | 'attempt'
  | 'resubmission'
  | 'instanceId'
> {
  return {
    partitionKey: partitionKey(attempt.eventId),
    rowKey: attemptRowKey(attempt.source, attempt.route, attempt.attempt, attempt.resubmission),
    kind: 'attempt',
    eventId: attempt.eventId,
    source: attempt.source,
    route: attempt.route,
    attempt: attempt.attempt,
    ...(attempt.resubmission ? { resubmission: attempt.resubmission } : {}),
    instanceId: attempt.instanceId,
  };
}
