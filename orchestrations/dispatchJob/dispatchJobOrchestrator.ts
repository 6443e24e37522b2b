import type { OrchestrationContext } from 'durable-functions';
import type { Step } from './callWithRetry';
import { cleanUpJob } from './cleanUpJob';
import type { AttemptProgress, DispatchJobInput, DispatchJobSettlement } from './contracts';
import { createOnSomeTarget } from './createOnSomeTarget';
import { deleteAbandonedGroups } from './deleteAbandonedGroups';
import { publishSettlement } from './publishSettlement';
import { settleEvent } from './settleEvent';
import { StatusBoard } from './statusBoard';
import { CONTINUED_AS_NEW, watchJob } from './watchJob';

/**
 * One event, one route, one attempt: create the container job on some target, watch it under a deadline, clean
 * up (archiving the log), settle the event, publish the result (event ledger and results topic). Replayed: only
 * context.df gives time, timers and I/O (lint-enforced here and in every module it replays).
 */
export function* dispatchJobOrchestrator(
  context: OrchestrationContext,
): Step<DispatchJobSettlement | undefined> {
  const input = context.df.getInput<DispatchJobInput>();
  const board = new StatusBoard(context, input);

  let progress: AttemptProgress = input.watch
    ? { watch: input.watch, target: input.watch.target }
    : yield* createOnSomeTarget(context, input, board);
  const leftovers = yield* deleteAbandonedGroups(context, progress.abandoned ?? [], board);
  if (progress.watch && !progress.outcome) {
    const watched = yield* watchJob(context, input, progress.watch, board);
    if (watched === CONTINUED_AS_NEW) return undefined;
    progress = watched;
  }
  const outcome = progress.outcome ?? { kind: 'lost', message: 'no outcome recorded' };

  const cleaned = yield* cleanUpJob(context, input, progress, board);
  const logs = { ...cleaned, tail: [cleaned.tail, ...leftovers].join('\n').trim() };
  const settlement = yield* settleEvent(context, input, { ...progress, outcome }, logs, board);
  yield* publishSettlement(context, input, settlement, logs, board);
  return settlement;
}
