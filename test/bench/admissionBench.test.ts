import { burstRoute, measureAdmission, renderAdmissionSection } from '../../bench/admissionBench';
import { runBurstOnEngine } from '../../bench/admissionEngine';
import { detectionDelayMs, simulateBurst } from '../../bench/admissionSim';

const MIN = 60_000;

describe('admission benchmark', () => {
  const route = burstRoute();
  const scenario = {
    events: 200,
    jobMs: 10 * MIN,
    quota: 10,
    route,
    createsPer5Min: 1e6,
    createsPerHour: 1e6,
  };

  it('today: the burst past the quota burns its attempts and is dead-lettered', () => {
    const r = simulateBurst('today', scenario);
    expect(r).toMatchObject({ succeeded: 10, deadLettered: 190, peakGroups: 10 });
    // 190 events x 3 attempts refused, plus the 10 that ran.
    expect(r).toMatchObject({ creates: 10 + 190 * 3, rejected: 190 * 3 });
  });

  it('admission: every event runs, never past the quota, in 20 waves of one job lifetime', () => {
    const r = simulateBurst('admission', scenario);
    expect(r).toMatchObject({ succeeded: 200, deadLettered: 0, rejected: 0, creates: 200, peakGroups: 10 });
    expect(r.makespanMs).toBe(20 * detectionDelayMs(route, 10 * MIN));
    expect(r.utilisation).toBeCloseTo(1, 5);
  });

  it("admission paces creates by ARM's create-rate quotas instead of having them refused", () => {
    const r = simulateBurst('admission', { ...scenario, createsPer5Min: 4, createsPerHour: 30 });
    expect(r.rejected).toBe(0);
    expect(r.succeeded).toBeGreaterThan(0);
    expect(r.makespanMs).toBeGreaterThan(20 * detectionDelayMs(route, 10 * MIN));
  });

  it('runs both behaviours through the Durable engine with the same outcome', async () => {
    const burst = { events: 24, jobMs: 10 * MIN, quota: 3, route, pollsPerExecution: 10 };
    const today = await runBurstOnEngine('today', burst);
    expect(today).toMatchObject({ succeeded: 3, deadLettered: 21, peakGroups: 3 });
    const admitted = await runBurstOnEngine('admission', burst);
    expect(admitted).toMatchObject({ succeeded: 24, deadLettered: 0, rejected: 0, peakGroups: 3 });
    expect(admitted.makespanMs / admitted.idealMs).toBeLessThan(1.15);
    expect(admitted.episodesPerJob).toBeGreaterThan(0);
  });

  it('renders the side-by-side table with the targets', async () => {
    const result = await measureAdmission({ events: 100, quota: 10, engineEvents: 10, engineQuota: 2 });
    const text = renderAdmissionSection(result);
    expect(text).toContain('| today, simulated (100 events, quota 10) | 90 |');
    expect(text).toMatch(/\| admission, simulated \(100, 10\) \| dead-lettered \| 0 \| 0 \| met \|/);
    expect(text).toMatch(
      /\| admission, Durable engine \(10, 2\) \| makespan \| <= 1.15 x ideal \| [\d.]+x \| met \|/,
    );
  });
});
