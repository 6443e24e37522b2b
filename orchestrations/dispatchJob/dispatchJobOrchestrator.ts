import type { OrchestrationContext } from 'durable-functions';
import type { Step } from './callWithRetry';
import { cleanUpJob } from './cleanUpJob';
import type { AttemptProgress, DispatchJobInput, DispatchJobSettlement } from './contracts';
import { releaseSlot } from '../admission/acquireSlot';
import { createOnSomeTarget } from './createOnSomeTarget';
import { createWithAdmission } from './createWithAdmission';
import { publishSettlement } from './publishSettlement';
import { settleEvent } from './settleEvent';
import { StatusBoard } from './statusBoard';
import { CONTINUED_AS_NEW, watchJob } from './watchJob';

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

  let progress: AttemptProgress = input.watch
    ? {
        watch: input.watch,
        target: input.watch.target,
        ...(input.watch.slot ? { slot: input.watch.slot } : {}),
      }
    : input.admission
      ? yield* createWithAdmission(context, input, board)
      : yield* createOnSomeTarget(context, input, board);
  if (progress.watch && !progress.outcome) {
    const watched = yield* watchJob(context, input, progress.watch, board);
    if (watched === CONTINUED_AS_NEW) return undefined;
    progress = { ...watched, ...(progress.slot ? { slot: progress.slot } : {}) };
  }
  const outcome = progress.outcome ?? { kind: 'lost', message: 'no outcome recorded' };

  const logs = yield* cleanUpJob(context, input, progress, board);
  // The slot comes back once the group is gone (reconciliation frees it should this release be lost).
  if (progress.slot) yield* releaseSlot(context, { id: context.df.instanceId, ticket: progress.slot.ticket });
  const settlement = yield* settleEvent(context, input, { ...progress, outcome }, logs, board);
  yield* publishSettlement(context, input, settlement, logs, board);
  return settlement;
}
