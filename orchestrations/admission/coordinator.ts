import type { OrchestrationContext, Task } from 'durable-functions';
import {
  admitWaiting,
  applyRelease,
  applyRequest,
  applyUsage,
  dropFinished,
  nextWakeAt,
  targetFigures,
  type AdmissionState,
  type SlotHolder,
} from './admissionState';
import type { ReconcileInput, ReconcileResult } from './activities';
import {
  ADMISSION_OP_EVENT,
  AdmissionActivity,
  type AdmissionOp,
  type CoordinatorStatus,
  type SlotGrant,
} from './contracts';

/*
 * The admission coordinator: ONE eternal orchestration that owns every slot. Why an orchestration and not a
 * Durable Entity: entities need the engine's entity support (the local engine has none yet), and the rules here
 * (FIFO over several targets, spill-over, route caps, timed hold-backs) want one view of all targets anyway.
 * Requests and releases arrive as external events raised by activities; grants go back the same way. Every
 * message is idempotent and re-sent by its sender until it sees the effect, and holders are reconciled against
 * instance status, so a lost event (e.g. around continueAsNew) or a crashed host never leaks a slot for long.
 */

export interface CoordinatorOptions {
  /** How often holders are checked against their instances' status and the Usage API is read. */
  reconcileIntervalMs: number;
  /** Loop turns per execution before continueAsNew, which bounds the history every episode replays. */
  opsPerExecution: number;
}

export const DEFAULT_COORDINATOR_OPTIONS: Readonly<CoordinatorOptions> = Object.freeze({
  reconcileIntervalMs: 5 * 60_000,
  opsPerExecution: 50,
});

export interface CoordinatorInput {
  state: AdmissionState;
  execution: number;
  /** Epoch ms. */
  nextReconcileAt?: number;
  options?: Partial<CoordinatorOptions>;
  /** Grants owed to instances that asked again (sent first thing in the next execution). */
  resend?: SlotGrant[];
}

type Step<T> = Generator<Task, T, unknown>;

export function* admissionCoordinator(context: OrchestrationContext): Step<void> {
  const input = context.df.getInput<CoordinatorInput>();
  const options = { ...DEFAULT_COORDINATOR_OPTIONS, ...input.options };
  const { state } = input;
  const now = (): number => context.df.currentUtcDateTime.getTime();
  let nextReconcileAt = input.nextReconcileAt;
  let resend: SlotGrant[] = input.resend ?? [];

  // Rule of this loop: an event wait is only ever left unanswered right before continueAsNew. durable-functions
  // hands an arriving event to the newest OPEN wait of that name, so a wait abandoned (its timer won) while the
  // orchestration goes on to call an activity would swallow the next request or release.
  for (let turn = 0; turn < options.opsPerExecution; turn++) {
    const busy = state.queue.length > 0 || Object.keys(state.holders).length > 0;
    if (busy && (nextReconcileAt === undefined || now() >= nextReconcileAt)) {
      resend.push(...(yield* reconcile(context, state, options.reconcileIntervalMs)));
      nextReconcileAt = now() + options.reconcileIntervalMs;
    }
    const grants = [...resend, ...admitWaiting(state, now())];
    resend = [];
    if (grants.length > 0) {
      const { gone } = (yield context.df.callActivity(AdmissionActivity.notify, grants)) as {
        gone: string[];
      };
      if (gone.length > 0) dropFinished(state, gone);
    }
    publish(context, state, input.execution);

    const holding = Object.keys(state.holders).length > 0 || state.queue.length > 0;
    const wake = [nextWakeAt(state, now()), holding ? nextReconcileAt : undefined].filter(
      (w): w is number => w !== undefined,
    );
    const event = context.df.waitForExternalEvent(ADMISSION_OP_EVENT);
    if (wake.length === 0) {
      resend = apply(state, (yield event) as AdmissionOp, now());
      continue;
    }
    const timer = context.df.createTimer(new Date(Math.max(now(), Math.min(...wake))));
    const winner = yield context.df.Task.any([event, timer]);
    if (winner !== event) return continueWith(context, input, state, resend, nextReconcileAt);
    timer.cancel();
    resend = apply(state, event.result as AdmissionOp, now());
  }

  // Events already delivered are applied now: Azure may drop unprocessed events at continueAsNew.
  for (;;) {
    const event = context.df.waitForExternalEvent(ADMISSION_OP_EVENT);
    const timer = context.df.createTimer(new Date(now()));
    const winner = yield context.df.Task.any([event, timer]);
    if (winner !== event) break;
    timer.cancel();
    resend.push(...apply(state, event.result as AdmissionOp, now()));
  }
  return continueWith(context, input, state, resend, nextReconcileAt);
}

/** The next execution starts with the state, the reconcile schedule and any grant still to be (re)sent. */
function continueWith(
  context: OrchestrationContext,
  input: CoordinatorInput,
  state: AdmissionState,
  resend: SlotGrant[],
  nextReconcileAt: number | undefined,
): void {
  const next: CoordinatorInput = {
    state,
    execution: input.execution + 1,
    ...(nextReconcileAt !== undefined ? { nextReconcileAt } : {}),
    ...(resend.length > 0 ? { resend } : {}),
    ...(input.options ? { options: input.options } : {}),
  };
  context.df.continueAsNew(next);
}

/** Applies one message; returns grants to send again (a repeated request of an instance that holds a slot). */
function apply(state: AdmissionState, op: AdmissionOp, now: number): SlotGrant[] {
  if (op.kind === 'request') {
    const outcome = applyRequest(state, op.request, op.limits);
    return outcome.kind === 'granted' ? [outcome.grant] : [];
  }
  applyRelease(state, op.release, now);
  return [];
}

/** Frees the slots of finished instances, reads usage, and returns grants to send again (lost on the way). */
function* reconcile(
  context: OrchestrationContext,
  state: AdmissionState,
  intervalMs: number,
): Step<SlotGrant[]> {
  const request: ReconcileInput = {
    holders: Object.values(state.holders).map((h) => ({ id: h.id, ticket: h.ticket })),
    targets: Object.entries(state.targets).map(([key, t]) => ({
      key,
      subscriptionId: t.subscriptionId,
      location: t.location,
    })),
  };
  const result = (yield context.df.callActivity(AdmissionActivity.reconcile, request)) as ReconcileResult;
  dropFinished(state, result.finished);
  for (const [key, usage] of Object.entries(result.usage)) applyUsage(state, key, usage, now(context));
  // A grant younger than one interval may still be on its way.
  const lost = result.stillWaiting
    .map((id) => state.holders[id])
    .filter((h): h is SlotHolder => h !== undefined && h.grantedAt <= now(context) - intervalMs);
  return lost.map((h) => ({
    id: h.id,
    ticket: h.ticket,
    target: h.target,
    targetIndex: h.targetIndex,
    grantedAt: h.grantedAt,
  }));
}

function now(context: OrchestrationContext): number {
  return context.df.currentUtcDateTime.getTime();
}

function publish(context: OrchestrationContext, state: AdmissionState, execution: number): void {
  const status: CoordinatorStatus = {
    phase: 'Admitting',
    holders: Object.keys(state.holders).length,
    waiting: state.queue.length,
    targets: targetFigures(state),
    updatedAt: context.df.currentUtcDateTime.toISOString(),
    execution,
  };
  context.df.setCustomStatus(status);
}
