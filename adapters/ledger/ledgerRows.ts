import type { LedgerAttempt, LedgerEvent } from './eventLedger';

/** The event's own row (one per (source, id)). `routes` is a JSON array: Tables have no list type. */
export interface EventRow {
  partitionKey: string;
  rowKey: string;
  kind: 'event';
  eventId: string;
  source: string;
  type?: string;
  subject?: string;
  messageId?: string;
  firstSeenAt: string;
  lastSeenAt: string;
  deliveries: number;
  routes: string;
  rejectionReason?: string;
  rejectionDescription?: string;
  rejectedAt?: string;
}

/** One attempt of one route (one orchestration instance): the ledger's attempt plus the row's keys. */
export interface AttemptRow extends LedgerAttempt {
  partitionKey: string;
  rowKey: string;
  kind: 'attempt';
  eventId: string;
  source: string;
}

/** One source's rows -> the ledger's view of that event. */
export function eventFromRows(rows: ReadonlyArray<EventRow | AttemptRow>): LedgerEvent {
  const first = rows[0];
  if (!first) throw new Error('eventFromRows: no rows');
  const event = rows.find((row): row is EventRow => row.kind === 'event');
  const attempts = rows
    .filter((row): row is AttemptRow => row.kind === 'attempt')
    .map(attemptFromRow)
    .sort(
      (a, b) =>
        (a.route < b.route ? -1 : a.route > b.route ? 1 : 0) ||
        (a.resubmission ?? 0) - (b.resubmission ?? 0) ||
        a.attempt - b.attempt,
    );
  const routes = new Set<string>(event ? (JSON.parse(event.routes) as string[]) : []);
  attempts.forEach((attempt) => routes.add(attempt.route));
  return {
    eventId: first.eventId,
    source: first.source,
    ...(event?.type !== undefined ? { type: event.type } : {}),
    ...(event?.subject !== undefined ? { subject: event.subject } : {}),
    ...(event?.messageId !== undefined ? { messageId: event.messageId } : {}),
    ...(event ? { firstSeenAt: event.firstSeenAt, lastSeenAt: event.lastSeenAt } : {}),
    deliveries: event?.deliveries ?? 0,
    routes: [...routes].sort(),
    ...(event?.rejectionReason !== undefined
      ? {
          rejection: {
            reason: event.rejectionReason,
            description: event.rejectionDescription ?? '',
            at: event.rejectedAt ?? event.lastSeenAt,
          },
        }
      : {}),
    attempts,
  };
}

export function attemptFromRow(row: AttemptRow): LedgerAttempt {
  return {
    route: row.route,
    attempt: row.attempt,
    ...(row.resubmission ? { resubmission: row.resubmission } : {}),
    instanceId: row.instanceId,
    ...(row.startedAt !== undefined ? { startedAt: row.startedAt } : {}),
    ...(row.outcome !== undefined ? { outcome: row.outcome } : {}),
    ...(row.settledAt !== undefined ? { settledAt: row.settledAt } : {}),
    ...(row.reason !== undefined ? { reason: row.reason } : {}),
    ...(row.description !== undefined ? { description: row.description } : {}),
    ...(row.exitCode !== undefined ? { exitCode: row.exitCode } : {}),
    ...(row.logUrl !== undefined ? { logUrl: row.logUrl } : {}),
    ...(row.logArchiveError !== undefined ? { logArchiveError: row.logArchiveError } : {}),
  };
}
