import { RetryOptions, type OrchestrationContext, type Task } from 'durable-functions';
import type { RequestSlotInput, RequestSlotResult } from './activities';
import {
  AdmissionActivity,
  grantEventName,
  targetKey,
  type SlotGrant,
  type SlotRelease,
  type TargetRef,
} from './contracts';

/*
 * The waiting side, replayed inside the orchestration that needs a slot: ask, wait for the grant, ask again
 * now and then (the request is idempotent, so a lost request or grant is recovered), give up at capacityWait.
 */

/**
 * First re-request after this long without a grant, doubling up to the max. Only a lost request needs it (a
 * re-sent request keeps its arrival time, so it regains its place); a lost grant is re-sent by the coordinator's
 * reconciliation, which sees the holder still waiting.
 */
export const RE_REQUEST_FIRST_MS = 5 * 60_000;
export const RE_REQUEST_MAX_MS = 60 * 60_000;

export interface SlotWanted {
  route: string;
  /** Primary first, then fallbacks. */
  targets: TargetRef[];
  cores: number;
  priority: number;
  concurrency?: number;
  /** Epoch ms of the first request of this attempt (kept when the slot is given back and asked for again). */
  arrivedAt: number;
  capacityWaitMs: number;
  /** 1, then +1 each time a granted slot was given back because ARM refused the create. */
  ticket: number;
}

/** What the orchestration shows while it waits (put it in customStatus as `admission`, see contracts). */
export interface WaitingInfo {
  ticket: number;
  /** The primary target's key (`<subscription>/<location>`). */
  target: string;
  /** Requests waiting for that target, as the coordinator last published it when this one (re)asked. */
  queueLength?: number;
  inUse?: number;
  limit?: number;
  /** ISO-8601: since when this attempt waits. */
  since: string;
}

/** `cancelled`: the caller's cancel task completed while it waited (the request was withdrawn). */
export type AcquireResult =
  { ok: true; grant: SlotGrant } | { ok: false; waitedMs: number; cancelled?: boolean };

type Step<T> = Generator<Task, T, unknown>;

/**
 * Waits for a slot until it is granted, capacityWait runs out, or `cancel` (an operator's cancel, see the
 * dispatch orchestration) completes: a cancelled wait withdraws its request at once, so a cancelled event never
 * creates its job and never holds a place in the queue.
 */
export function* acquireSlot(
  context: OrchestrationContext,
  wanted: SlotWanted,
  onWaiting: (info: WaitingInfo) => void = () => undefined,
  cancel?: Task,
): Step<AcquireResult> {
  const id = context.df.instanceId;
  const now = (): number => context.df.currentUtcDateTime.getTime();
  const expiresAt = wanted.arrivedAt + wanted.capacityWaitMs;
  const input: RequestSlotInput = {
    request: {
      id,
      ticket: wanted.ticket,
      route: wanted.route,
      targets: wanted.targets.map(targetKey),
      cores: wanted.cores,
      priority: wanted.priority,
      ...(wanted.concurrency !== undefined ? { concurrency: wanted.concurrency } : {}),
      arrivedAt: wanted.arrivedAt,
      expiresAt,
    },
    targets: wanted.targets.map((t) => ({ subscriptionId: t.subscriptionId, location: t.location })),
  };
  const since = new Date(wanted.arrivedAt).toISOString();
  let reRequestMs = RE_REQUEST_FIRST_MS;
  // One wait for the whole request, named after the ticket: durable-functions hands an event to the newest open
  // wait of its name, so a new wait per re-request would leave old ones to swallow the grant.
  const grantEvent = context.df.waitForExternalEvent(grantEventName(wanted.ticket));
  const withdraw = function* (): Step<AcquireResult> {
    // A grant racing the withdrawal is freed by the same release.
    yield* releaseSlot(context, { id, ticket: wanted.ticket });
    return { ok: false, waitedMs: now() - wanted.arrivedAt, cancelled: true };
  };
  for (;;) {
    if (cancel?.isCompleted) return yield* withdraw();
    const figures = (yield context.df.callActivity(AdmissionActivity.request, input)) as RequestSlotResult;
    onWaiting({ ticket: wanted.ticket, target: input.request.targets[0]!, ...withFigures(figures), since });
    if (grantEvent.isCompleted) return { ok: true, grant: grantEvent.result as SlotGrant };
    const timer = context.df.createTimer(new Date(Math.min(expiresAt, now() + reRequestMs)));
    const winner = yield context.df.Task.any(cancel ? [grantEvent, timer, cancel] : [grantEvent, timer]);
    if (winner === grantEvent) {
      timer.cancel();
      return { ok: true, grant: grantEvent.result as SlotGrant };
    }
    if (winner === cancel) {
      timer.cancel();
      return yield* withdraw();
    }
    if (now() >= expiresAt) {
      // A grant racing the expiry is freed by the same release.
      yield* releaseSlot(context, { id, ticket: wanted.ticket });
      return { ok: false, waitedMs: now() - wanted.arrivedAt };
    }
    reRequestMs = Math.min(reRequestMs * 2, RE_REQUEST_MAX_MS);
  }
}

/**
 * Gives the slot back (or stops waiting). Retried, and never fails the caller: if every try fails, the
 * coordinator's reconciliation frees the slot once this instance has finished.
 */
export function* releaseSlot(context: OrchestrationContext, release: SlotRelease): Step<boolean> {
  try {
    yield context.df.callActivityWithRetry(AdmissionActivity.release, RELEASE_RETRY, release);
    return true;
  } catch {
    return false;
  }
}

const RELEASE_RETRY = new RetryOptions(5_000, 6);
RELEASE_RETRY.backoffCoefficient = 2;

function withFigures(f: RequestSlotResult): Omit<WaitingInfo, 'ticket' | 'target' | 'since'> {
  return {
    ...(f.waiting !== undefined ? { queueLength: f.waiting } : {}),
    ...(f.inUse !== undefined ? { inUse: f.inUse } : {}),
    ...(f.limit !== undefined ? { limit: f.limit } : {}),
  };
}
