import type { OrchestrationContext } from 'durable-functions';
import type { Step } from './callWithRetry';
import { cleanUpJob } from './cleanUpJob';
import {
  CANCEL_EVENT,
  type AttemptProgress,
  type DispatchJobInput,
  type DispatchJobSettlement,
} from './contracts';
import { releaseSlot } from '../admission/acquireSlot';
import { createOnSomeTarget } from './createOnSomeTarget';
import { deleteAbandonedGroups } from './deleteAbandonedGroups';
import { createWithAdmission } from './createWithAdmission';
import { publishSettlement } from './publishSettlement';
import { settleEvent } from './settleEvent';
import { StatusBoard } from './statusBoard';
import { CONTINUED_AS_NEW, cancelledOutcome, watchJob } from './watchJob';

/**
 * One event, one route, one attempt: (with admission, wait for a capacity slot,) create the container job on some
 * target, watch it under a deadline, clean up (archiving the log, giving the slot back), settle the event, publish
 * the result (event ledger and results topic). Replayed: only context.df gives time, timers and I/O (lint-enforced
 * here and in every module it replays).
 */
export function* dispatchJobOrchestrator(
  context: OrchestrationContext,
): Step<DispatchJobSettlement | undefined> {
  const input = context.df.getInput<DispatchJobInput>();
  const board = new StatusBoard(context, input);
  // One waiter per execution: it races the poll timers, and still tells the settle step of a late cancel.
  const cancel = context.df.waitForExternalEvent(CANCEL_EVENT);

  let progress: AttemptProgress = input.cancelled
    ? { outcome: { kind: 'cancelled', ...(input.cancelled.by ? { by: input.cancelled.by } : {}) } }
    : input.watch
      ? {
          watch: input.watch,
          target: input.watch.target,
          ...(input.watch.slot ? { slot: input.watch.slot } : {}),
        }
      : input.admission
        ? yield* createWithAdmission(context, input, board, cancel)
        : yield* createOnSomeTarget(context, input, board);
  const leftovers = yield* deleteAbandonedGroups(context, progress.abandoned ?? [], board);
  if (progress.watch && !progress.outcome) {
    const watched = yield* watchJob(context, input, progress.watch, board, cancel);
    if (watched === CONTINUED_AS_NEW) return undefined;
    progress = { ...watched, ...(progress.slot ? { slot: progress.slot } : {}) };
  }
  let outcome = progress.outcome ?? { kind: 'lost', message: 'no outcome recorded' };

  const cleaned = yield* cleanUpJob(context, input, progress, board);
  const logs = { ...cleaned, tail: [cleaned.tail, ...leftovers].join('\n').trim() };
  // The slot comes back once the group is gone (reconciliation frees it should this release be lost).
  if (progress.slot) yield* releaseSlot(context, { id: context.df.instanceId, ticket: progress.slot.ticket });
  // A cancel that arrived after the watch (during clean-up) still wins over anything but success, so an
  // attempt that would requeue does not leave a copy behind that starts the next one.
  const succeeded = outcome.kind === 'exited' && outcome.exitCode === 0;
  if (cancel.isCompleted && outcome.kind !== 'cancelled' && !succeeded) outcome = cancelledOutcome(cancel);
  const settlement = yield* settleEvent(context, input, { ...progress, outcome }, logs, board);
  yield* publishSettlement(context, input, settlement, logs, board);
  return settlement;
}
