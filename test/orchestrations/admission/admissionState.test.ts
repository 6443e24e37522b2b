import {
  admitWaiting,
  applyRelease,
  applyRequest,
  applyUsage,
  CREATE_WINDOW_MARGIN_MS,
  dropFinished,
  emptyAdmissionState,
  nextWakeAt,
  positionOf,
  REFUSED_HOLD_BACK_MS,
  targetFigures,
  type AdmissionState,
} from '../../../orchestrations/admission/admissionState';
import type { SlotLimits, SlotRequest } from '../../../orchestrations/admission/contracts';

const SUB = '00000000-0000-0000-0000-000000000000';
const WEST = `${SUB}/westeurope`;
const NORTH = `${SUB}/northeurope`;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const UNLIMITED_RATE = { createsPer5Min: 1_000_000, createsPerHour: 1_000_000 };

function limitsFor(groups: number, cores = 1000, rate: Partial<SlotLimits> = UNLIMITED_RATE) {
  return {
    [WEST]: {
      subscriptionId: SUB,
      location: 'westeurope',
      containerGroups: groups,
      cores,
      ...UNLIMITED_RATE,
      ...rate,
    },
    [NORTH]: {
      subscriptionId: SUB,
      location: 'northeurope',
      containerGroups: groups,
      cores,
      ...UNLIMITED_RATE,
      ...rate,
    },
  };
}

function req(id: string, over: Partial<SlotRequest> = {}): SlotRequest {
  return {
    id,
    ticket: 1,
    route: 'r',
    targets: [WEST],
    cores: 1,
    priority: 0,
    arrivedAt: T0,
    expiresAt: T0 + 6 * 3_600_000,
    ...over,
  };
}

function enqueueAll(
  state: AdmissionState,
  ids: string[],
  limits = limitsFor(2),
  over: Partial<SlotRequest> = {},
) {
  ids.forEach((id, i) => applyRequest(state, req(id, { arrivedAt: T0 + i, ...over }), limits));
}

describe('admission slot accounting', () => {
  it('grants in arrival order up to the container-group limit, then one per release', () => {
    const s = emptyAdmissionState();
    enqueueAll(s, ['a', 'b', 'c', 'd']);
    expect(admitWaiting(s, T0).map((g) => g.id)).toEqual(['a', 'b']);
    expect(admitWaiting(s, T0)).toEqual([]);
    expect(applyRelease(s, { id: 'b' }, T0 + 10)).toBe(true);
    expect(admitWaiting(s, T0 + 10).map((g) => g.id)).toEqual(['c']);
    expect(targetFigures(s)[0]).toMatchObject({ target: WEST, inUse: 2, waiting: 1, limit: 2 });
  });

  it('sizes slots by cores and lets nobody overtake a big request on its target', () => {
    const s = emptyAdmissionState();
    const limits = limitsFor(10, 4);
    applyRequest(s, req('one', { cores: 2, arrivedAt: T0 }), limits);
    applyRequest(s, req('big', { cores: 4, arrivedAt: T0 + 1 }), limits);
    applyRequest(s, req('small', { cores: 1, arrivedAt: T0 + 2 }), limits);
    // 'small' would fit beside 'one' but must not overtake 'big' (FIFO per target).
    expect(admitWaiting(s, T0).map((g) => g.id)).toEqual(['one']);
    applyRelease(s, { id: 'one' }, T0 + 5);
    expect(admitWaiting(s, T0 + 5).map((g) => g.id)).toEqual(['big']);
    expect(targetFigures(s)[0]).toMatchObject({ coresInUse: 4, coresLimit: 4 });
  });

  it('serves higher priority first, then arrival', () => {
    const s = emptyAdmissionState();
    const limits = limitsFor(1);
    applyRequest(s, req('low', { arrivedAt: T0 }), limits);
    applyRequest(s, req('high', { arrivedAt: T0 + 5, priority: 5 }), limits);
    applyRequest(s, req('low2', { arrivedAt: T0 + 1 }), limits);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [g] = admitWaiting(s, T0 + 10 + i);
      order.push(g!.id);
      applyRelease(s, { id: g!.id }, T0 + 10 + i);
    }
    expect(order).toEqual(['high', 'low', 'low2']);
  });

  it('caps a route at its policy.concurrency without blocking other routes', () => {
    const s = emptyAdmissionState();
    const limits = limitsFor(10);
    applyRequest(s, req('a1', { route: 'a', concurrency: 1, arrivedAt: T0 }), limits);
    applyRequest(s, req('a2', { route: 'a', concurrency: 1, arrivedAt: T0 + 1 }), limits);
    applyRequest(s, req('b1', { route: 'b', arrivedAt: T0 + 2 }), limits);
    expect(admitWaiting(s, T0).map((g) => g.id)).toEqual(['a1', 'b1']);
    applyRelease(s, { id: 'a1' }, T0 + 3);
    expect(admitWaiting(s, T0 + 3).map((g) => g.id)).toEqual(['a2']);
  });

  it('spills over to the fallback targets in order when the primary is full', () => {
    const s = emptyAdmissionState();
    const limits = limitsFor(1);
    enqueueAll(s, ['a', 'b', 'c'], limits, { targets: [WEST, NORTH] });
    const grants = admitWaiting(s, T0);
    expect(grants.map((g) => [g.id, g.target, g.targetIndex])).toEqual([
      ['a', WEST, 0],
      ['b', NORTH, 1],
    ]);
  });

  it('is idempotent: a repeated request keeps its place or gets its grant again', () => {
    const s = emptyAdmissionState();
    const limits = limitsFor(1);
    enqueueAll(s, ['a', 'b'], limits);
    expect(applyRequest(s, req('b', { arrivedAt: T0 + 1 }), limits)).toEqual({ kind: 'queued' });
    expect(positionOf(s, s.queue[1]!)).toBe(2);
    const [grant] = admitWaiting(s, T0);
    expect(applyRequest(s, req('a'), limits)).toEqual({ kind: 'granted', grant });
    expect(s.queue.map((q) => q.id)).toEqual(['b']);
  });

  it('a newer ticket frees the slot a lost release left behind, and keeps the original arrival', () => {
    const s = emptyAdmissionState();
    const limits = limitsFor(1);
    enqueueAll(s, ['a', 'b'], limits);
    admitWaiting(s, T0);
    // 'a' was refused by ARM, its release got lost, and it asks again with ticket 2.
    applyRequest(s, req('a', { ticket: 2 }), limits);
    expect(Object.keys(s.holders)).toEqual([]);
    expect(admitWaiting(s, T0 + 1).map((g) => [g.id, g.ticket])).toEqual([['a', 2]]);
    expect(applyRequest(s, req('a', { ticket: 1 }), limits)).toEqual({ kind: 'stale' });
  });

  it('holds a refused target back (Retry-After, else a minute) and wakes when it may admit again', () => {
    const s = emptyAdmissionState();
    enqueueAll(s, ['a', 'b'], limitsFor(5));
    admitWaiting(s, T0);
    applyRelease(s, { id: 'a', refused: { message: 'ContainerGroupQuotaReached' } }, T0 + 100);
    applyRequest(s, req('a', { ticket: 2 }), limitsFor(5));
    expect(admitWaiting(s, T0 + 200)).toEqual([]);
    expect(nextWakeAt(s, T0 + 200)).toBe(T0 + 100 + REFUSED_HOLD_BACK_MS);
    expect(admitWaiting(s, T0 + 100 + REFUSED_HOLD_BACK_MS).map((g) => g.id)).toEqual(['a']);
    applyRelease(s, { id: 'b', refused: { retryAfterMs: 30_000 } }, T0 + 100 + REFUSED_HOLD_BACK_MS);
    expect(targetFigures(s)[0]!.heldBackUntil).toBe(
      new Date(T0 + 100 + REFUSED_HOLD_BACK_MS + 30_000).toISOString(),
    );
  });

  it('paces creates per target by the 5-minute and hourly windows', () => {
    const s = emptyAdmissionState();
    const limits = limitsFor(100, 100, { createsPer5Min: 2, createsPerHour: 3 });
    enqueueAll(s, ['a', 'b', 'c', 'd'], limits);
    // A window slot is reused CREATE_WINDOW_MARGIN_MS after ARM could count it free: the create comes after the grant.
    const m = CREATE_WINDOW_MARGIN_MS;
    expect(admitWaiting(s, T0).map((g) => g.id)).toEqual(['a', 'b']);
    expect(nextWakeAt(s, T0)).toBe(T0 + 5 * 60_000 + m);
    expect(admitWaiting(s, T0 + 5 * 60_000)).toEqual([]);
    expect(admitWaiting(s, T0 + 5 * 60_000 + m).map((g) => g.id)).toEqual(['c']);
    expect(nextWakeAt(s, T0 + 5 * 60_000 + m)).toBe(T0 + 3_600_000 + m);
    expect(admitWaiting(s, T0 + 3_600_000 + m).map((g) => g.id)).toEqual(['d']);
  });

  it('never admits past the Usage API limit minus what others use', () => {
    const s = emptyAdmissionState();
    enqueueAll(s, ['a', 'b', 'c', 'd'], limitsFor(100));
    admitWaiting(s, T0); // all four held
    // The subscription shows 9 groups of 10: 4 are ours, so others use 5; we may hold 5 in all.
    applyUsage(
      s,
      WEST,
      { containerGroups: { current: 9, limit: 10 }, cores: { current: 9, limit: 100 } },
      T0 + 1,
    );
    enqueueAll(s, ['e', 'f'], limitsFor(100));
    expect(admitWaiting(s, T0 + 2).map((g) => g.id)).toEqual(['e']);
    expect(targetFigures(s)[0]).toMatchObject({ inUse: 5, limit: 5, waiting: 1 });
  });

  it('keeps the higher of the last two readings of what others use, so a blip never admits more', () => {
    const s = emptyAdmissionState();
    enqueueAll(s, ['a', 'b'], limitsFor(100));
    admitWaiting(s, T0);
    const read = (current: number, at: number) =>
      applyUsage(s, WEST, { containerGroups: { current, limit: 10 } }, at);
    read(7, T0 + 1); // others: 5
    expect(targetFigures(s)[0]!.limit).toBe(5);
    read(6, T0 + 2); // one of ours deleted but not released yet: others look like 4, still counted as 5
    expect(targetFigures(s)[0]!.limit).toBe(5);
    read(6, T0 + 3); // a real drop shows one reading later
    expect(targetFigures(s)[0]!.limit).toBe(6);
  });

  it('drops finished instances and expired waits', () => {
    const s = emptyAdmissionState();
    enqueueAll(s, ['a', 'b', 'c'], limitsFor(1), { expiresAt: T0 + 1000 });
    admitWaiting(s, T0);
    expect(dropFinished(s, ['a', 'zzz'])).toBe(1);
    expect(nextWakeAt(s, T0)).toBe(T0 + 1000);
    expect(admitWaiting(s, T0 + 1000)).toEqual([]);
    expect(s.queue).toEqual([]);
    expect(nextWakeAt(s, T0 + 1000)).toBeUndefined();
  });
});
