import type { RuntimeStatus } from './durableErrors';
import type { InstanceRecord } from './instanceRecord';

/** One instance's place in the newest-first order: created time, then instance id (both descending). */
export interface IndexKey {
  createdMs: number;
  instanceId: string;
}

export interface PageQuery {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  instanceIdPrefix?: string;
  top: number;
  /** Resume strictly after this key (the last key of the previous page). */
  after?: IndexKey;
}

export interface IndexPage {
  records: InstanceRecord[];
  /** Where the next page starts; absent when the query has nothing left. */
  next?: IndexKey;
  /** Index entries looked at to build this page (the cost of the page). */
  scanned: number;
}

/**
 * How many entries one page may look at before it answers with what it has and a continuation token, as an
 * Azure Table query segment does: a selective filter costs a few short pages, never a scan of the hub.
 */
export const MAX_SCAN_PER_PAGE = 1000;

/** Negative when `a` comes first (is newer). */
function compare(a: IndexKey, b: IndexKey): number {
  if (a.createdMs !== b.createdMs) return b.createdMs - a.createdMs;
  return a.instanceId < b.instanceId ? 1 : a.instanceId > b.instanceId ? -1 : 0;
}

export function keyOf(record: InstanceRecord): IndexKey {
  return { createdMs: Date.parse(record.createdTime), instanceId: record.instanceId };
}

/**
 * The engine's instances in newest-first order, kept sorted as they are added and removed, so a page of a
 * query is a binary search to its start (the continuation key or `createdTimeTo`) and a walk of at most
 * `top` matches (and at most MAX_SCAN_PER_PAGE entries): the first page costs the same in a hub of 50
 * instances or 100 000. The extension's Azure Storage provider pages its Instances table the same way.
 */
export class InstanceIndex {
  private readonly keys: IndexKey[] = [];

  get size(): number {
    return this.keys.length;
  }

  add(key: IndexKey): void {
    // Instances are mostly created in clock order, so the new key usually goes first: the search is short.
    this.keys.splice(this.firstAfter(key, true), 0, key);
  }

  remove(key: IndexKey): void {
    const at = this.firstAfter(key, true);
    const found = this.keys[at];
    if (found && compare(found, key) === 0) this.keys.splice(at, 1);
  }

  /** One page of the query; `lookup` turns a key into its record (undefined: skipped). */
  page(query: PageQuery, lookup: (instanceId: string) => InstanceRecord | undefined): IndexPage {
    let at = 0;
    if (query.after) at = this.firstAfter(query.after, false);
    if (query.createdTimeTo) {
      // Keys created after createdTimeTo come first: skip them by search, not by walking.
      const start = this.firstAfter({ createdMs: query.createdTimeTo.getTime(), instanceId: '\uffff' }, true);
      at = Math.max(at, start);
    }
    const fromMs = query.createdTimeFrom?.getTime();
    const statuses = query.runtimeStatus && query.runtimeStatus.length > 0 ? query.runtimeStatus : undefined;
    const records: InstanceRecord[] = [];
    let scanned = 0;
    for (; at < this.keys.length; at++) {
      const key = this.keys[at] as IndexKey;
      if (fromMs !== undefined && key.createdMs < fromMs) return { records, scanned };
      if (records.length >= query.top || scanned >= MAX_SCAN_PER_PAGE) {
        return { records, scanned, next: this.keys[at - 1] };
      }
      scanned++;
      if (query.instanceIdPrefix && !key.instanceId.startsWith(query.instanceIdPrefix)) continue;
      const record = lookup(key.instanceId);
      if (!record || (statuses && !statuses.includes(record.status))) continue;
      records.push(record);
    }
    return { records, scanned };
  }

  /**
   * Position of the first key ordered after `key` (`inclusive`: the first not before it), by binary search
   * (lower bound when inclusive, upper bound otherwise).
   */
  private firstAfter(key: IndexKey, inclusive: boolean): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compare(this.keys[mid] as IndexKey, key);
      if (c < 0 || (!inclusive && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The continuation token: the last key of a page, opaque to clients. */
export function encodeIndexKey(key: IndexKey): string {
  return Buffer.from(JSON.stringify([key.createdMs, key.instanceId])).toString('base64url');
}

/** Undefined when the token is not one this engine issued. */
export function decodeIndexKey(token: string): IndexKey | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'number' &&
      Number.isFinite(value[0]) &&
      typeof value[1] === 'string'
    ) {
      return { createdMs: value[0], instanceId: value[1] };
    }
  } catch {
    // not JSON: fall through
  }
  return undefined;
}
