import { JobTag } from '../../adapters/aci/buildContainerGroup';
import type { JobGroup } from '../../adapters/aci/jobInventory';
import type { SweepAction } from '../../shared/metrics/dispatchMetrics';

/** The part of an orchestration's status the sweeper reads (durable-functions' DurableOrchestrationStatus). */
export interface AttemptSnapshot {
  runtimeStatus: string;
  customStatus?: unknown;
  lastUpdatedTime: Date | string;
}

export type SweepDecision =
  | { action: 'ignore' }
  | { action: 'keep'; why: string }
  | { action: Exclude<SweepAction, 'failed'>; why: string };

/** Runtime statuses after which an orchestration never touches its group again. */
const FINISHED = new Set(['completed', 'failed', 'terminated', 'canceled']);

/**
 * What to do with one listed container group. Pure. Groups without the dispatcher's instance tag are not
 * the dispatcher's and are ignored. A group whose attempt is live (its orchestration running and within its
 * deadline plus grace) is kept; so is one whose orchestration finished or is missing for less than the grace
 * period (a create or a delete may still be on its way). `attempt` is undefined when no orchestration exists.
 */
export function decideSweep(
  group: JobGroup,
  attempt: AttemptSnapshot | undefined,
  nowMs: number,
  graceMs: number,
): SweepDecision {
  const instanceId = group.tags[JobTag.instanceId];
  if (instanceId === undefined || instanceId === '') return { action: 'ignore' };
  if (attempt === undefined) {
    // The orchestration starts before it creates its group, so a missing one was purged or never existed.
    const created = Date.parse(group.tags[JobTag.created] ?? '');
    if (Number.isFinite(created) && nowMs - created < graceMs) {
      return { action: 'keep', why: `no orchestration ${instanceId}, but created less than the grace ago` };
    }
    return { action: 'deletedOrphan', why: `orchestration ${instanceId} does not exist` };
  }
  const status = attempt.runtimeStatus.toLowerCase();
  if (FINISHED.has(status)) {
    const finished = toMs(attempt.lastUpdatedTime);
    if (nowMs - finished < graceMs) {
      return { action: 'keep', why: `orchestration ${instanceId} finished less than the grace ago` };
    }
    return { action: 'deletedFinished', why: `orchestration ${instanceId} is ${attempt.runtimeStatus}` };
  }
  // Suspended by an operator: the operator decides, not the sweeper.
  if (status === 'suspended') return { action: 'keep', why: `orchestration ${instanceId} is suspended` };
  const deadline = Date.parse(deadlineOf(attempt.customStatus) ?? '');
  if (Number.isFinite(deadline) && nowMs > deadline + graceMs) {
    return {
      action: 'stoppedOverdue',
      why: `orchestration ${instanceId} is ${attempt.runtimeStatus} but its deadline ${new Date(deadline).toISOString()} passed more than the grace ago`,
    };
  }
  return { action: 'keep', why: `attempt ${instanceId} is live` };
}

function deadlineOf(customStatus: unknown): string | undefined {
  if (typeof customStatus !== 'object' || customStatus === null) return undefined;
  const { deadline } = customStatus as { deadline?: unknown };
  return typeof deadline === 'string' ? deadline : undefined;
}

function toMs(value: Date | string): number {
  return value instanceof Date ? value.getTime() : Date.parse(value);
}
