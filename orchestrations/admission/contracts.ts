import { ACI_DEFAULT_QUOTA, type QuotaLimits } from '../../shared/config/quotaSpec';

/**
 * Names and JSON shapes shared by the admission coordinator, its activities and the orchestrations that ask it
 * for slots. Everything here crosses a Durable boundary (orchestration input, external event, activity input),
 * so it is plain JSON: times are epoch milliseconds, targets are referred to by {@link targetKey}.
 */

/** The coordinator orchestrator's function name. */
export const ADMISSION_COORDINATOR = 'admissionCoordinator';
/**
 * Instance id of the one coordinator. Dispatch instance ids are `<route>-<16 hex>-a<n>`, so no route name can
 * produce this one.
 */
export const ADMISSION_COORDINATOR_ID = 'admission-coordinator';
/** External event carrying an {@link AdmissionOp} to the coordinator. */
export const ADMISSION_OP_EVENT = 'AdmissionOp';
/** External event carrying a {@link SlotGrant} back to the waiting instance; one name per ticket. */
export function grantEventName(ticket: number): string {
  return `AdmissionGranted-${ticket}`;
}

export const AdmissionActivity = {
  /** Starts the coordinator if needed and raises a request to it. */
  request: 'admission_request',
  /** Raises a release (or a cancelled wait) to the coordinator. */
  release: 'admission_release',
  /** Raises grants to the waiting instances; reports the ones that no longer exist. */
  notify: 'admission_notify',
  /** Reads which holders' instances have finished, and the live quota usage per target. */
  reconcile: 'admission_reconcile',
} as const;

/** Per (subscription, location) limits. ACI quotas are per subscription and region, not per resource group. */
export type SlotLimits = QuotaLimits;

/** ACI's default quotas for a subscription and region (standard SKU). */
export const ACI_DEFAULT_LIMITS: Readonly<SlotLimits> = ACI_DEFAULT_QUOTA;

export interface TargetRef {
  subscriptionId: string;
  location: string;
}

/** `<subscriptionId>/<location>`, lower-case: the unit ACI counts quota in. */
export function targetKey(target: TargetRef): string {
  return `${target.subscriptionId}/${target.location}`.toLowerCase();
}

/** What an orchestration asks for. Idempotent by (`id`, `ticket`): asking again never queues twice. */
export interface SlotRequest {
  /** The requesting orchestration's instance id (also where the grant is raised). */
  id: string;
  /** 1 for the first wait of an attempt, +1 each time the slot was given back (ARM said no) and asked again. */
  ticket: number;
  route: string;
  /** Target keys in preference order: the primary first, then the fallbacks (spill-over). */
  targets: string[];
  /** The job's cores (the ACI cores quota counts the sum of container CPU requests). */
  cores: number;
  /** Higher goes first; equal priorities are served by arrival. */
  priority: number;
  /** The route's `policy.concurrency`: at most this many of its jobs hold slots at once. */
  concurrency?: number;
  /** When the orchestration first asked (kept across re-requests, so a returned slot keeps its place). */
  arrivedAt: number;
  /** arrivedAt + the route's capacityWait: dropped from the queue after this. */
  expiresAt: number;
}

export interface SlotGrant {
  id: string;
  ticket: number;
  target: string;
  /** Index into the request's `targets` (0 = primary). */
  targetIndex: number;
  grantedAt: number;
}

/** Why a slot comes back: after the job's group is deleted, or ARM refused the create (capacity / throttling). */
export interface SlotRelease {
  id: string;
  /** Only that ticket's holder or queued request is released; undefined = whatever the instance has. */
  ticket?: number;
  /** ARM answered with a capacity/quota or throttling error: hold the target back for a while. */
  refused?: { retryAfterMs?: number; message?: string };
}

export type AdmissionOp =
  | { kind: 'request'; request: SlotRequest; limits: Record<string, SlotLimits & TargetRef> }
  | { kind: 'release'; release: SlotRelease };

/** The phase a waiting orchestration shows in customStatus. */
export const WAITING_FOR_CAPACITY = 'WaitingForCapacity';

/**
 * The part of a waiting orchestration's customStatus the coordinator reads when it reconciles: a holder whose
 * instance still shows this phase for the granted ticket never got its grant, which is then sent again.
 */
export interface WaitingCustomStatus {
  phase: typeof WAITING_FOR_CAPACITY;
  admission: { ticket: number };
}

/** Live quota figures for one target from the ACI Usage API (undefined fields: not reported). */
export interface TargetUsage {
  containerGroups?: { current: number; limit: number };
  cores?: { current: number; limit: number };
}

/** Reads the live usage of a subscription and region; undefined when the provider cannot tell. */
export interface CapacityReader {
  readUsage(target: TargetRef): Promise<TargetUsage | undefined>;
}

/** Per-target figures the coordinator publishes (customStatus) and `GET /api/targets` shows. */
export interface TargetFigures {
  target: string;
  subscriptionId: string;
  location: string;
  inUse: number;
  coresInUse: number;
  waiting: number;
  /** Container groups we may hold: the configured limit, lowered by what others use (Usage API). */
  limit: number;
  coresLimit: number;
  /** ISO-8601: no create is admitted before this (ARM refused a create). */
  heldBackUntil?: string;
  /** ISO-8601 of the last Usage API read. */
  usageReadAt?: string;
}

export interface CoordinatorStatus {
  phase: 'Admitting';
  holders: number;
  waiting: number;
  targets: TargetFigures[];
  /** ISO-8601. */
  updatedAt: string;
  execution: number;
}
