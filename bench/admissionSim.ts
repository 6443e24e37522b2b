import {
  admitWaiting,
  applyRelease,
  applyRequest,
  emptyAdmissionState,
} from '../orchestrations/admission/admissionState';
import { targetKey, type SlotLimits } from '../orchestrations/admission/contracts';
import { decideSettlement } from '../orchestrations/dispatchJob/decideSettlement';
import { backoffDelayMs } from '../shared/policy/backoff';
import { pollDelayMs } from '../shared/policy/pollSchedule';
import type { ResolvedRoute } from '../shared/routes/resolvedRoute';

/*
 * A discrete-event simulation of a burst against a container-group quota, at full scale (10,000 events), using
 * the product's own rules: the poll schedule, backoff and settlement decision (today), and the admission slot
 * accounting (admission). Durable overhead is left out here; the engine runs at smaller scale measure it.
 */

export type AdmissionMode = 'today' | 'admission';

export interface BurstScenario {
  events: number;
  jobMs: number;
  quota: number;
  /** ARM's create-rate quotas (the simulated provider rejects past them, as ACI does). */
  createsPer5Min: number;
  createsPerHour: number;
  route: ResolvedRoute;
}

export interface BurstResult {
  mode: AdmissionMode;
  events: number;
  succeeded: number;
  deadLettered: number;
  /** First event in -> last group deleted (ms). */
  makespanMs: number;
  /** events x job length / quota. */
  idealMs: number;
  /** Group-time used over quota x makespan. */
  utilisation: number;
  creates: number;
  rejected: number;
  peakGroups: number;
  /** Longest wait from arrival to the create of the attempt that ran (ms). */
  maxWaitMs: number;
  /** Orchestrator episodes per event, when measured (engine runs). */
  episodesPerJob?: number;
  /** Episodes of the admission coordinator (engine runs). */
  coordinatorEpisodes?: number;
  /** Real time of the run (ms). */
  wallMs: number;
  scale: 'simulation' | 'engine';
}

const TARGET = { subscriptionId: '00000000-0000-0000-0000-000000000000', location: 'westeurope' };

class EventHeap {
  private items: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;
  push(at: number, run: () => void): void {
    const items = this.items;
    items.push({ at, seq: this.seq++, run });
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [items[i], items[p]] = [items[p]!, items[i]!];
      i = p;
    }
  }
  pop(): { at: number; run: () => void } | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top && last && items.length > 0) {
      items[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(l, m)) m = l;
        if (r < items.length && this.less(r, m)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top;
  }
  private less(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}

/** When the watch loop sees a job that ends `jobMs` after creation: the first poll at or after its end. */
export function detectionDelayMs(route: ResolvedRoute, jobMs: number): number {
  let t = 0;
  for (let poll = 0; t < jobMs; poll++) t += pollDelayMs(poll, route.policy.poll, Number.MAX_SAFE_INTEGER);
  return t;
}

/** The simulated ARM: a group quota and the create-rate windows, counting what it accepts and rejects. */
class QuotaArm {
  live = 0;
  peak = 0;
  creates = 0;
  rejected = 0;
  groupMs = 0;
  private readonly createTimes: number[] = [];
  constructor(private readonly s: BurstScenario) {}
  tryCreate(now: number): boolean {
    this.creates++;
    const recent5 = this.createTimes.filter((t) => t > now - 300_000).length;
    const recentHour = this.createTimes.filter((t) => t > now - 3_600_000).length;
    if (
      this.live >= this.s.quota ||
      recent5 >= this.s.createsPer5Min ||
      recentHour >= this.s.createsPerHour
    ) {
      this.rejected++;
      return false;
    }
    this.createTimes.push(now);
    while (this.createTimes.length > 0 && this.createTimes[0]! <= now - 3_600_000) this.createTimes.shift();
    this.live++;
    this.peak = Math.max(this.peak, this.live);
    return true;
  }
  delete(lifetimeMs: number): void {
    this.live--;
    this.groupMs += lifetimeMs;
  }
}

export function simulateBurst(mode: AdmissionMode, s: BurstScenario): BurstResult {
  const wallStart = Date.now();
  const heap = new EventHeap();
  const arm = new QuotaArm(s);
  const lifetime = detectionDelayMs(s.route, s.jobMs);
  let succeeded = 0;
  let deadLettered = 0;
  let lastEnd = 0;
  let maxWait = 0;

  if (mode === 'today') {
    // One orchestration per attempt: create at once; a capacity error (no fallback) settles create-failed,
    // which consumes an attempt: requeued with backoff, dead-lettered after maxAttempts.
    const attemptAt = (event: number, attempt: number, at: number): void =>
      heap.push(at, () => {
        if (arm.tryCreate(at)) {
          maxWait = Math.max(maxWait, at);
          heap.push(at + lifetime, () => {
            arm.delete(lifetime);
            succeeded++;
            lastEnd = Math.max(lastEnd, at + lifetime);
          });
          return;
        }
        const decision = decideSettlement(
          { kind: 'create-failed', capacity: true, message: 'ContainerGroupQuotaReached' },
          { attempt, maxAttempts: s.route.policy.maxAttempts, nonRetryableExitCodes: [] },
        );
        if (decision.action === 'requeue')
          attemptAt(event, attempt + 1, at + backoffDelayMs(attempt, s.route.policy.backoff));
        else {
          deadLettered++;
          lastEnd = Math.max(lastEnd, at);
        }
      });
    for (let i = 0; i < s.events; i++) attemptAt(i, 1, 0);
  } else {
    const state = emptyAdmissionState();
    const key = targetKey(TARGET);
    const limits: Record<string, SlotLimits & typeof TARGET> = {
      [key]: {
        ...TARGET,
        containerGroups: s.quota,
        cores: s.quota * 4,
        createsPer5Min: s.createsPer5Min,
        createsPerHour: s.createsPerHour,
      },
    };
    const admit = (now: number): void => {
      for (const grant of admitWaiting(state, now)) {
        if (!arm.tryCreate(now)) {
          applyRelease(state, { id: grant.id, refused: {} }, now);
          continue;
        }
        maxWait = Math.max(maxWait, now);
        heap.push(now + lifetime, () => {
          arm.delete(lifetime);
          succeeded++;
          lastEnd = Math.max(lastEnd, now + lifetime);
          applyRelease(state, { id: grant.id }, now + lifetime);
          admit(now + lifetime);
        });
      }
    };
    for (let i = 0; i < s.events; i++) {
      applyRequest(
        state,
        {
          id: `e${i}`,
          ticket: 1,
          route: s.route.name,
          targets: [key],
          cores: s.route.job.cpu,
          priority: s.route.policy.priority,
          arrivedAt: 0,
          expiresAt: s.route.policy.capacityWaitMs,
        },
        limits,
      );
    }
    // Wake-ups for the create-rate windows, as the coordinator's timer does.
    const tick = (now: number): void => {
      admit(now);
      if (state.queue.length > 0) heap.push(now + 60_000, () => tick(now + 60_000));
    };
    heap.push(0, () => tick(0));
  }

  for (let next = heap.pop(); next; next = heap.pop()) next.run();
  // Admission: a request still queued at its capacityWait is dropped, and its event dead-lettered.
  if (mode === 'admission') deadLettered = s.events - succeeded;
  const idealMs = (s.events * s.jobMs) / s.quota;
  return {
    mode,
    events: s.events,
    succeeded,
    deadLettered,
    makespanMs: lastEnd,
    idealMs,
    utilisation: lastEnd > 0 ? arm.groupMs / (s.quota * lastEnd) : 0,
    creates: arm.creates,
    rejected: arm.rejected,
    peakGroups: arm.peak,
    maxWaitMs: maxWait,
    wallMs: Date.now() - wallStart,
    scale: 'simulation',
  };
}
