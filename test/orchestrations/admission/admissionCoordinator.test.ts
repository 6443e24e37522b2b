import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VirtualClock } from '../../../devhost/durable/clock';
import { ACI_DEFAULT_LIMITS, type SlotLimits } from '../../../orchestrations/admission/contracts';
import {
  NORTH,
  SLOT_USER,
  WEST,
  peakConcurrency,
  startAdmissionHarness,
  type AdmissionHarness,
  type SlotUserInput,
} from '../../support/admissionHarness';

const MIN = 60_000;
const limits = (containerGroups: number, cores = 100): SlotLimits => ({
  ...ACI_DEFAULT_LIMITS,
  containerGroups,
  cores,
});

let h: AdmissionHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Starts users one virtual second apart, so arrival order is start order. */
async function startUsers(
  harness: AdmissionHarness,
  inputs: SlotUserInput[],
  prefix = 'u',
): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, input] of inputs.entries()) {
    const id = `${prefix}${String(i).padStart(2, '0')}`;
    harness.engine.startNew(SLOT_USER, { instanceId: id, input });
    ids.push(id);
    await harness.clock.advance(1_000);
  }
  return ids;
}

describe('admission coordinator (local Durable engine, virtual clock)', () => {
  it('grants in arrival order, never more than the limit at once, and frees every slot at the end', async () => {
    h = await startAdmissionHarness({ limits: limits(3) });
    const ids = await startUsers(
      h,
      Array.from({ length: 10 }, () => ({ jobMs: 10 * MIN })),
    );
    const out = await h.runUntilDone(ids);
    const granted = [...out.entries()].sort((a, b) => a[1].grantedAt! - b[1].grantedAt!).map(([id]) => id);
    expect(granted).toEqual(ids);
    expect(peakConcurrency(out.values())).toBe(3);
    // 10 jobs of 10 minutes, 3 at a time: 4 waves.
    const last = Math.max(...[...out.values()].map((o) => o.releasedAt!));
    expect(last - Math.min(...[...out.values()].map((o) => o.grantedAt!))).toBeLessThan(41 * MIN);
    await h.clock.advance(MIN);
    expect(h.coordinator()).toMatchObject({ holders: 0, waiting: 0 });
    expect(h.coordinator()!.targets[0]).toMatchObject({ inUse: 0, waiting: 0, limit: 3 });
  });

  it('sizes slots by cores', async () => {
    h = await startAdmissionHarness({ limits: limits(100, 4) });
    const ids = await startUsers(h, [
      { jobMs: 10 * MIN, cores: 2 },
      { jobMs: 10 * MIN, cores: 2 },
      { jobMs: 10 * MIN, cores: 4 },
      { jobMs: 10 * MIN, cores: 1 },
    ]);
    const out = await h.runUntilDone(ids);
    const cores = [2, 2, 4, 1];
    const byId = (o: unknown) => cores[[...out.values()].indexOf(o as never)]!;
    expect(peakConcurrency(out.values(), byId)).toBeLessThanOrEqual(4);
    // The 4-core job waits for both 2-core ones; the 1-core one may not overtake it.
    expect(out.get('u02')!.grantedAt).toBeGreaterThanOrEqual(out.get('u01')!.releasedAt!);
    expect(out.get('u03')!.grantedAt).toBeGreaterThanOrEqual(out.get('u02')!.releasedAt!);
  });

  it('spills over to the fallback target when the primary is full', async () => {
    h = await startAdmissionHarness({ limits: limits(1) });
    const ids = await startUsers(h, [
      { jobMs: 10 * MIN, targets: [WEST, NORTH] },
      { jobMs: 10 * MIN, targets: [WEST, NORTH] },
      { jobMs: 10 * MIN, targets: [WEST, NORTH] },
    ]);
    const out = await h.runUntilDone(ids);
    expect(ids.map((id) => out.get(id)!.targetIndex)).toEqual([0, 1, 0]);
    expect(out.get('u02')!.grantedAt).toBeGreaterThanOrEqual(out.get('u00')!.releasedAt!);
  });

  it('reclaims a slot whose release was lost once the holder has finished (reconciliation)', async () => {
    h = await startAdmissionHarness({ limits: limits(1), reconcileIntervalMs: 5 * MIN });
    const ids = await startUsers(h, [{ jobMs: 10 * MIN, skipRelease: true }, { jobMs: MIN }]);
    const out = await h.runUntilDone(ids);
    const lostAt = out.get('u00')!.releasedAt!;
    const next = out.get('u01')!.grantedAt!;
    expect(next).toBeGreaterThanOrEqual(lostAt);
    expect(next - lostAt).toBeLessThanOrEqual(5 * MIN + 2_000);
  });

  it('sends a lost grant again when reconciliation sees the holder still waiting', async () => {
    h = await startAdmissionHarness({
      limits: limits(1),
      reconcileIntervalMs: 5 * MIN,
      loseFirstGrantOf: ['u01'],
    });
    const ids = await startUsers(h, [{ jobMs: 10 * MIN }, { jobMs: MIN }]);
    const out = await h.runUntilDone(ids);
    const freedAt = out.get('u00')!.releasedAt!;
    const granted = out.get('u01')!.grantedAt!;
    // Granted (and lost) at 10:00; the reconciliation at 15:00 re-sends it, before u01's own re-request at 15:01.
    expect(granted - freedAt).toBe(5 * MIN);
  });

  it('gives up after capacityWait and leaves nothing queued', async () => {
    h = await startAdmissionHarness({ limits: limits(1) });
    const ids = await startUsers(h, [{ jobMs: 120 * MIN }, { jobMs: MIN, capacityWaitMs: 30 * MIN }]);
    const out = await h.runUntilDone(ids);
    expect(out.get('u01')).toEqual({ ok: false, waitedMs: 30 * MIN });
    expect(h.coordinator()).toMatchObject({ waiting: 0 });
  });

  it('reads the Usage API: never admits past limit minus what others use', async () => {
    // Someone else runs 3 groups in the subscription and region; the quota is 5. ARM counts ours too.
    let harness: AdmissionHarness | undefined;
    h = harness = await startAdmissionHarness({
      limits: limits(100),
      capacityReader: {
        readUsage: () =>
          Promise.resolve({
            containerGroups: { current: 3 + (harness?.holding() ?? 0), limit: 5 },
          }),
      },
      reconcileIntervalMs: MIN,
    });
    const ids = await startUsers(
      h,
      Array.from({ length: 6 }, () => ({ jobMs: 10 * MIN })),
    );
    const out = await h.runUntilDone(ids);
    expect(peakConcurrency(out.values())).toBe(2);
    expect(h.coordinator()!.targets[0]!.limit).toBe(2);
  });

  it('keeps the queue across an engine restart (stateDir)', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'admission-'));
    try {
      const clock = new VirtualClock();
      h = await startAdmissionHarness({ limits: limits(2), stateDir, clock });
      const ids = await startUsers(
        h,
        Array.from({ length: 6 }, () => ({ jobMs: 10 * MIN })),
      );
      await clock.advance(5 * MIN);
      expect(h.coordinator()).toMatchObject({ holders: 2, waiting: 4 });
      await h.close();
      h = await startAdmissionHarness({ limits: limits(2), stateDir, clock });
      const out = await h.runUntilDone(ids);
      expect([...out.values()].every((o) => o.ok)).toBe(true);
      expect(peakConcurrency(out.values())).toBe(2);
      const granted = [...out.entries()].sort((a, b) => a[1].grantedAt! - b[1].grantedAt!).map(([id]) => id);
      expect(granted).toEqual(ids);
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
