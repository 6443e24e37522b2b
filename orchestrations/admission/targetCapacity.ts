import type { SlotLimits, TargetRef } from './contracts';

/*
 * One target's capacity: its limits (configured, lowered by what others use according to the Usage API), the
 * hold-back after ARM refused a create, and the create-rate windows. Pure, like the rest of the slot accounting.
 */

const FIVE_MINUTES_MS = 5 * 60_000;
const HOUR_MS = 60 * 60_000;
/**
 * ARM counts a create when it accepts it, a little after the grant (activity scheduling, the create call): a
 * window slot is reused this much later than the grant it counted, so the next create does not arrive early.
 */
export const CREATE_WINDOW_MARGIN_MS = 10_000;
/** Float cores (0.5 CPU) must not fail a comparison by rounding. */
const CORES_EPSILON = 1e-9;

export interface TargetState extends TargetRef {
  limits: SlotLimits;
  /** What others use in the subscription and region (Usage API current minus our holders), at `readAt`. */
  others?: {
    containerGroups: number;
    cores: number;
    /** This reading alone (the next reading takes the higher of it and itself). */
    lastGroups: number;
    lastCores: number;
    groupsLimit?: number;
    coresLimit?: number;
    readAt: number;
  };
  /** No grants before this (ARM refused a create on this target). */
  heldBackUntil?: number;
  /** Grant times within the last hour, ascending: the create-rate windows. */
  creates: number[];
}

/** Never past `limit - what others use`, from the Usage API, nor past the configured limits. */
export function effectiveLimits(target: TargetState): { groups: number; cores: number } {
  const others = target.others;
  const groups =
    others?.groupsLimit !== undefined
      ? Math.min(target.limits.containerGroups, others.groupsLimit - others.containerGroups)
      : target.limits.containerGroups;
  const cores =
    others?.coresLimit !== undefined
      ? Math.min(target.limits.cores, others.coresLimit - others.cores)
      : target.limits.cores;
  return { groups: Math.max(0, groups), cores: Math.max(0, cores) };
}

/** Whether one more group of `cores` fits the target now: hold-back, limits, create-rate windows. */
export function fits(
  target: TargetState | undefined,
  use: { groups: number; cores: number } | undefined,
  cores: number,
  now: number,
): boolean {
  if (!target) return false;
  if (target.heldBackUntil !== undefined && now < target.heldBackUntil) return false;
  const limits = effectiveLimits(target);
  const groups = use?.groups ?? 0;
  const coresUsed = use?.cores ?? 0;
  if (groups + 1 > limits.groups) return false;
  if (coresUsed + cores > limits.cores + CORES_EPSILON) return false;
  return rateFreeAt(target, now) <= now;
}

/** The earliest time another create fits both create-rate windows (`now` or earlier: it fits now). */
export function rateFreeAt(target: TargetState, now: number): number {
  let free = now;
  const { creates, limits } = target;
  const window = (limit: number, span: number): void => {
    if (limit <= 0) {
      free = Number.POSITIVE_INFINITY;
      return;
    }
    const recent = creates.filter((t) => t + span + CREATE_WINDOW_MARGIN_MS > now);
    if (recent.length >= limit)
      free = Math.max(free, recent[recent.length - limit]! + span + CREATE_WINDOW_MARGIN_MS);
  };
  window(limits.createsPer5Min, FIVE_MINUTES_MS);
  window(limits.createsPerHour, HOUR_MS);
  return free;
}

/** Forgets grant times that no window counts any more. */
export function pruneCreates(target: TargetState, now: number): void {
  const keepFrom = target.creates.findIndex((t) => t + HOUR_MS + CREATE_WINDOW_MARGIN_MS > now);
  if (keepFrom < 0) target.creates = [];
  else if (keepFrom > 0) target.creates = target.creates.slice(keepFrom);
}
