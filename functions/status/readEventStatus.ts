import type { EventLedger, LedgerEvent } from '../../adapters/ledger/eventLedger';
import { classifyError } from '../../shared/errors/classifyError';
import { isNotFound } from '../../shared/errors/isNotFound';
import { buildEventView, type EventStatusView } from './eventView';
import {
  findEventJobs,
  toJobView,
  type EventQuery,
  type JobView,
  type RouteRef,
  type StatusReader,
} from './jobStatus';

/**
 * `GET /api/events/{id}[?source=]`: the ledger first (records of that source only, when given) (it knows rejections and every attempt's instance id), then the live
 * status of those instances. An event the ledger does not know (recorded before the ledger existed, or its write
 * failed) is still found through the deterministic instance ids of the current routes. When the ledger cannot
 * be read the answer comes from the orchestrations alone, with `ledgerError` saying why.
 */
export async function readEventStatus(
  reader: StatusReader,
  ledger: EventLedger | undefined,
  routes: readonly RouteRef[],
  query: EventQuery,
): Promise<(EventStatusView & { ledgerError?: string }) | undefined> {
  const eventId = query.id;
  let recorded: LedgerEvent[] = [];
  let ledgerError: string | undefined;
  try {
    recorded = ((await ledger?.findById(eventId)) ?? []).filter(
      (event) => query.source === undefined || event.source === query.source,
    );
  } catch (err) {
    ledgerError = classifyError(err).message;
  }
  const instanceIds = [...new Set(recorded.flatMap((event) => event.attempts.map((a) => a.instanceId)))];
  const live =
    instanceIds.length > 0 ? await liveJobs(reader, instanceIds) : await findEventJobs(reader, routes, query);
  const view = buildEventView(eventId, recorded, live);
  return view && ledgerError !== undefined ? { ...view, ledgerError } : view;
}

async function liveJobs(reader: StatusReader, instanceIds: readonly string[]): Promise<JobView[]> {
  const views = await Promise.all(
    instanceIds.map(async (instanceId) => {
      try {
        return toJobView(await reader.getStatus(instanceId));
      } catch (err) {
        // Not started yet, or purged: the ledger's record stands for it.
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }),
  );
  return views.filter((view): view is JobView => view !== undefined);
}
