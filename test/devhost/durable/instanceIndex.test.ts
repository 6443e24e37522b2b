import {
  InstanceIndex,
  MAX_SCAN_PER_PAGE,
  decodeIndexKey,
  encodeIndexKey,
  keyOf,
} from '../../../devhost/durable/instanceIndex';
import type { InstanceRecord } from '../../../devhost/durable/instanceRecord';

/** Just the fields the index reads. */
function record(
  instanceId: string,
  createdMs: number,
  status: InstanceRecord['status'] = 'Completed',
): InstanceRecord {
  return { instanceId, createdTime: new Date(createdMs).toISOString(), status } as InstanceRecord;
}

function build(records: InstanceRecord[]): {
  index: InstanceIndex;
  lookup: (id: string) => InstanceRecord | undefined;
} {
  const index = new InstanceIndex();
  const byId = new Map(records.map((r) => [r.instanceId, r]));
  for (const r of records) index.add(keyOf(r));
  return { index, lookup: (id) => byId.get(id) };
}

describe('InstanceIndex', () => {
  it('pages newest first (ties by instance id, descending) and resumes strictly after the token', () => {
    const { index, lookup } = build([
      record('b', 1000),
      record('a', 2000),
      record('c', 2000),
      record('d', 500),
    ]);
    const first = index.page({ top: 2 }, lookup);
    expect(first.records.map((r) => r.instanceId)).toEqual(['c', 'a']);
    const token = encodeIndexKey(first.next!);
    const second = index.page({ top: 2, after: decodeIndexKey(token)! }, lookup);
    expect(second.records.map((r) => r.instanceId)).toEqual(['b', 'd']);
    expect(second.next).toBeUndefined();
    expect(second.scanned).toBe(2);
  });

  it('starts at createdTimeTo by search and stops at createdTimeFrom', () => {
    const records = Array.from({ length: 100 }, (_, i) => record(`i${String(i).padStart(3, '0')}`, i * 1000));
    const { index, lookup } = build(records);
    const page = index.page(
      { top: 50, createdTimeFrom: new Date(10_000), createdTimeTo: new Date(19_000) },
      lookup,
    );
    expect(page.records.map((r) => r.instanceId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `i${String(19 - i).padStart(3, '0')}`),
    );
    // Entries newer than createdTimeTo were skipped by the search, not walked.
    expect(page.scanned).toBe(10);
  });

  it('answers a selective filter with a short page and a token after MAX_SCAN_PER_PAGE entries', () => {
    const records = Array.from({ length: MAX_SCAN_PER_PAGE + 500 }, (_, i) =>
      record(`x-${i}`, i, i === 0 ? 'Running' : 'Completed'),
    );
    const { index, lookup } = build(records);
    const first = index.page({ top: 10, runtimeStatus: ['Running'] }, lookup);
    expect(first).toMatchObject({ records: [], scanned: MAX_SCAN_PER_PAGE });
    const second = index.page({ top: 10, runtimeStatus: ['Running'], after: first.next! }, lookup);
    expect(second.records.map((r) => r.instanceId)).toEqual(['x-0']);
    expect(second.next).toBeUndefined();
  });

  it('forgets removed and replaced instances and rejects tokens it did not issue', () => {
    const { index, lookup } = build([record('a', 1), record('b', 2)]);
    index.remove(keyOf(record('a', 1)));
    expect(index.size).toBe(1);
    expect(index.page({ top: 5 }, lookup).records.map((r) => r.instanceId)).toEqual(['b']);
    expect(decodeIndexKey('not-a-token')).toBeUndefined();
    expect(decodeIndexKey(Buffer.from('{"a":1}').toString('base64url'))).toBeUndefined();
  });
});
