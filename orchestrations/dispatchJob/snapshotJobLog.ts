import type { OrchestrationContext } from 'durable-functions';
import type { Step } from './callWithRetry';
import { LOG_TAIL_LINES, logRef } from './cleanUpJob';
import {
  DispatchJobActivity,
  type CollectLogsInput,
  type CollectedLogs,
  type DispatchJobInput,
  type WatchState,
} from './contracts';
import type { StatusBoard } from './statusBoard';

/**
 * While a job runs, its log is archived this often (on the next poll after), so a job whose group dies or is
 * deleted keeps its log up to then. 15 minutes: jobs shorter than that cost nothing extra (the log is archived
 * once, before the group is deleted), and a 24 h job adds 96 activities to the ~1,440 polls of a 1-minute route.
 */
export const LOG_SNAPSHOT_EVERY_MS = 15 * 60_000;

/** Archives the running job's log when the last snapshot (or the start) is LOG_SNAPSHOT_EVERY_MS old. */
export function* snapshotJobLogIfDue(
  context: OrchestrationContext,
  input: DispatchJobInput,
  watch: WatchState,
  board: StatusBoard,
): Step<WatchState> {
  const nowMs = context.df.currentUtcDateTime.getTime();
  const startedMs = Date.parse(watch.deadline) - input.route.policy.timeoutMs;
  const lastMs = watch.logSnapshotAt !== undefined ? Date.parse(watch.logSnapshotAt) : startedMs;
  if (nowMs - lastMs < LOG_SNAPSHOT_EVERY_MS) return watch;
  const request: CollectLogsInput = {
    name: board.containerGroup,
    target: watch.target,
    ...logRef(input),
    tailLines: LOG_TAIL_LINES,
    snapshot: true,
  };
  const snapshot = (yield context.df.callActivity(DispatchJobActivity.collectLogs, request)) as CollectedLogs;
  if (snapshot.logUrl !== undefined) board.publish({ logUrl: snapshot.logUrl });
  return { ...watch, logSnapshotAt: new Date(nowMs).toISOString() };
}
