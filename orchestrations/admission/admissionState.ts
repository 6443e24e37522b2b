import type {
  SlotGrant,
  SlotLimits,
  SlotRelease,
  SlotRequest,
  TargetFigures,
  TargetRef,
  TargetUsage,
} from './contracts';
import { effectiveLimits, fits, pruneCreates, rateFreeAt, type TargetState } from './targetCapacity';

/*
 * Slot accounting: pure functions over a JSON state, so the coordinator orchestrator stays a thin loop, the
 * state survives continueAsNew as its input, and every rule is unit-tested without an engine. No clock here:
 * callers pass `now` (the orchestration's currentUtcDateTime).
 */

export { CREATE_WINDOW_MARGIN_MS, type TargetState } from './targetCapacity';

/** How long a target is held back after ARM refused a create without saying for how long. */
export const REFUSED_HOLD_BACK_MS = 60_000;

export interface QueuedRequest extends SlotRequest {
  seq: number;
}

export interface SlotHolder {
  id: string;
  ticket: number;
  route: string;
  target: string;
  targetIndex: number;
  cores: number;
  grantedAt: number;
}

export interface AdmissionState {
  nextSeq: number;
  /** Sorted: priority descending, then arrival, then sequence. */
  queue: QueuedRequest[];
  holders: Record<string, SlotHolder>;
  targets: Record<string, TargetState>;
}

export function emptyAdmissionState(): AdmissionState {
  return { nextSeq: 1, queue: [], holders: {}, targets: {} };
}

export type RequestOutcome = { kind: 'granted'; grant: SlotGrant } | { kind: 'queued' } | { kind: 'stale' };

/**
 * Queues a request, idempotently: the same (id, ticket) again re-sends the grant it already has or keeps its
 * place. A newer ticket from an instance that still holds an older one means that release was lost: the old
 * slot is freed first. Limits for its targets are (re)learned from the request.
 */
export function applyRequest(
  state: AdmissionState,
  request: SlotRequest,
  limits: Record<string, SlotLimits & TargetRef>,
): RequestOutcome {
  for (const [key, value] of Object.entries(limits)) {
    const { subscriptionId, location, ...rest } = value;
    const existing = state.targets[key];
    if (existing) existing.limits = rest;
    else state.targets[key] = { subscriptionId, location, limits: rest, creates: [] };
  }
  const held = state.holders[request.id];
  if (held) {
    if (held.ticket === request.ticket) return { kind: 'granted', grant: grantOf(held) };
    if (held.ticket > request.ticket) return { kind: 'stale' };
    delete state.holders[request.id];
  }
  const index = state.queue.findIndex((q) => q.id === request.id);
  if (index >= 0) {
    const queued = state.queue[index]!;
    if (queued.ticket >= request.ticket) return { kind: 'queued' };
    state.queue.splice(index, 1);
  }
  const entry: QueuedRequest = { ...request, seq: state.nextSeq++ };
  state.queue.splice(insertionIndex(state.queue, entry), 0, entry);
  return { kind: 'queued' };
}

/** Frees a holder or drops a queued request. A refusal holds its target back (Retry-After, else a minute). */
export function applyRelease(state: AdmissionState, release: SlotRelease, now: number): boolean {
  const matches = (ticket: number): boolean => release.ticket === undefined || release.ticket === ticket;
  const held = state.holders[release.id];
  if (held && matches(held.ticket)) {
    delete state.holders[release.id];
    if (release.refused) {
      const target = state.targets[held.target];
      if (target) {
        const until = now + (release.refused.retryAfterMs ?? REFUSED_HOLD_BACK_MS);
        target.heldBackUntil = Math.max(target.heldBackUntil ?? 0, until);
      }
    }
    // An instance holds or waits, never both (a newer request frees the holder first).
    return true;
  }
  const index = state.queue.findIndex((q) => q.id === release.id && matches(q.ticket));
  if (index >= 0) state.queue.splice(index, 1);
  return index >= 0;
}

/** Forgets holders and queued requests whose instances have finished or no longer exist. */
export function dropFinished(state: AdmissionState, ids: readonly string[]): number {
  const gone = new Set(ids);
  let dropped = 0;
  for (const id of gone) {
    if (state.holders[id]) {
      delete state.holders[id];
      dropped++;
    }
  }
  const before = state.queue.length;
  state.queue = state.queue.filter((q) => !gone.has(q.id));
  return dropped + before - state.queue.length;
}

/**
 * Records a Usage API reading. What others use is the reported current value minus what we hold there; that
 * undercounts others while one of our slots is between ARM's count and our books (deleted but not released yet),
 * so the higher of the last two readings is kept: a real drop shows one reading later, a blip never admits.
 */
export function applyUsage(state: AdmissionState, key: string, usage: TargetUsage, now: number): void {
  const target = state.targets[key];
  if (!target) return;
  const ours = usageOf(state, key);
  const groups = Math.max(0, (usage.containerGroups?.current ?? ours.groups) - ours.groups);
  const cores = Math.max(0, (usage.cores?.current ?? ours.cores) - ours.cores);
  const last = target.others;
  target.others = {
    containerGroups: Math.max(groups, last?.lastGroups ?? 0),
    cores: Math.max(cores, last?.lastCores ?? 0),
    lastGroups: groups,
    lastCores: cores,
    ...(usage.containerGroups ? { groupsLimit: usage.containerGroups.limit } : {}),
    ...(usage.cores ? { coresLimit: usage.cores.limit } : {}),
    readAt: now,
  };
}

/**
 * Grants what fits, in queue order. A request blocked by its route's concurrency is skipped (other routes may
 * go on); a request blocked by capacity tries its fallbacks in order and, if none fits, closes every one of its
 * targets to later requests in this pass, so nobody overtakes it there (FIFO per target, no starvation).
 * Expired requests are dropped (their instances time out on their own).
 */
export function admitWaiting(state: AdmissionState, now: number): SlotGrant[] {
  if (state.queue.some((q) => q.expiresAt <= now)) state.queue = state.queue.filter((q) => q.expiresAt > now);
  for (const target of Object.values(state.targets)) pruneCreates(target, now);
  const perRoute = new Map<string, number>();
  const perTarget = new Map<string, { groups: number; cores: number }>();
  for (const h of Object.values(state.holders)) {
    perRoute.set(h.route, (perRoute.get(h.route) ?? 0) + 1);
    const use = perTarget.get(h.target) ?? { groups: 0, cores: 0 };
    perTarget.set(h.target, { groups: use.groups + 1, cores: use.cores + h.cores });
  }
  const closed = new Set<string>();
  const grants: SlotGrant[] = [];
  const granted: number[] = [];
  const targetCount = Object.keys(state.targets).length;
  for (const [position, request] of state.queue.entries()) {
    if (closed.size >= targetCount) break;
    if (request.concurrency !== undefined && (perRoute.get(request.route) ?? 0) >= request.concurrency)
      continue;
    const index = request.targets.findIndex(
      (key) => !closed.has(key) && fits(state.targets[key], perTarget.get(key), request.cores, now),
    );
    if (index < 0) {
      for (const key of request.targets) closed.add(key);
      continue;
    }
    const key = request.targets[index]!;
    const holder: SlotHolder = {
      id: request.id,
      ticket: request.ticket,
      route: request.route,
      target: key,
      targetIndex: index,
      cores: request.cores,
      grantedAt: now,
    };
    state.holders[request.id] = holder;
    state.targets[key]!.creates.push(now);
    perRoute.set(request.route, (perRoute.get(request.route) ?? 0) + 1);
    const use = perTarget.get(key) ?? { groups: 0, cores: 0 };
    perTarget.set(key, { groups: use.groups + 1, cores: use.cores + request.cores });
    granted.push(position);
    grants.push(grantOf(holder));
  }
  for (let i = granted.length - 1; i >= 0; i--) state.queue.splice(granted[i]!, 1);
  return grants;
}

/** When something may change without an event: a hold-back ends, a create-rate window slides, a wait expires. */
export function nextWakeAt(state: AdmissionState, now: number): number | undefined {
  if (state.queue.length === 0) return undefined;
  let wake = Math.min(...state.queue.map((q) => q.expiresAt));
  const waitingOn = new Set(state.queue.flatMap((q) => q.targets));
  for (const key of waitingOn) {
    const target = state.targets[key];
    if (!target) continue;
    if (target.heldBackUntil !== undefined && target.heldBackUntil > now)
      wake = Math.min(wake, target.heldBackUntil);
    const free = rateFreeAt(target, now);
    if (free > now) wake = Math.min(wake, free);
  }
  return wake;
}

/** The figures per target, for customStatus and the status API. */
export function targetFigures(state: AdmissionState): TargetFigures[] {
  return Object.entries(state.targets).map(([key, target]) => {
    const use = usageOf(state, key);
    const limits = effectiveLimits(target);
    return {
      target: key,
      subscriptionId: target.subscriptionId,
      location: target.location,
      inUse: use.groups,
      coresInUse: use.cores,
      waiting: state.queue.filter((q) => q.targets[0] === key).length,
      limit: limits.groups,
      coresLimit: limits.cores,
      ...(target.heldBackUntil !== undefined
        ? { heldBackUntil: new Date(target.heldBackUntil).toISOString() }
        : {}),
      ...(target.others ? { usageReadAt: new Date(target.others.readAt).toISOString() } : {}),
    };
  });
}

/** 1-based place among the requests waiting for the same primary target. */
export function positionOf(state: AdmissionState, request: QueuedRequest): number {
  let position = 0;
  for (const q of state.queue) {
    if (q.targets[0] === request.targets[0]) position++;
    if (q.seq === request.seq) return position;
  }
  return position;
}

function grantOf(h: SlotHolder): SlotGrant {
  return { id: h.id, ticket: h.ticket, target: h.target, targetIndex: h.targetIndex, grantedAt: h.grantedAt };
}

function usageOf(state: AdmissionState, key: string): { groups: number; cores: number } {
  let groups = 0;
  let cores = 0;
  for (const h of Object.values(state.holders)) {
    if (h.target !== key) continue;
    groups++;
    cores += h.cores;
  }
  return { groups, cores };
}

function insertionIndex(queue: QueuedRequest[], entry: QueuedRequest): number {
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(queue[mid]!, entry)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function before(a: QueuedRequest, b: QueuedRequest): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.arrivedAt !== b.arrivedAt) return a.arrivedAt < b.arrivedAt;
  return a.seq < b.seq;
}
