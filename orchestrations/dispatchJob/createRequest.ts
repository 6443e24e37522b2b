import type { OrchestrationContext } from 'durable-functions';
import type { CreatedJob, JobTarget } from '../../adapters/aci/jobProvider';
import { createBudgetLeft, jobDeadlineFrom } from './attemptDeadline';
import type { CreateJobInput, DispatchJobInput, WatchState } from './contracts';
import type { StatusBoard } from './statusBoard';

/** The createJob activity's input for one target: the same with or without admission. */
export function createRequest(
  context: OrchestrationContext,
  input: DispatchJobInput,
  board: StatusBoard,
  target: JobTarget,
): CreateJobInput {
  const latest = board.status.latestDeadline ?? board.status.deadline;
  return {
    name: board.containerGroup,
    instanceId: context.df.instanceId,
    route: input.route.name,
    eventId: input.event.id,
    attempt: input.attempt,
    job: input.route.job,
    eventJson: input.eventJson,
    target,
    deadline: latest,
    ...(input.route.completion === 'callback' ? { callback: { deadline: latest } } : {}),
  };
}

/**
 * The create succeeded: the job's deadline starts now (the route's timeout is the job's run time, not the
 * dispatcher's create retries), capped by the attempt's latest deadline; the status shows it.
 */
export function startWatching(
  context: OrchestrationContext,
  input: DispatchJobInput,
  board: StatusBoard,
  created: CreatedJob,
): WatchState {
  const latestDeadline = board.status.latestDeadline ?? board.status.deadline;
  const now = context.df.currentUtcDateTime.getTime();
  const deadline = jobDeadlineFrom(now, latestDeadline, input.route);
  board.publish({ phase: 'Watching', target: created.target, deadline });
  return { target: created.target, deadline, latestDeadline, polls: 0, execution: 1, reused: created.reused };
}

/** Whether the attempt's create budget (CREATE_BUDGET_MS) allows another create try after `delayMs`. */
export function mayTryCreateAgain(
  context: OrchestrationContext,
  input: DispatchJobInput,
  board: StatusBoard,
  delayMs: number,
): boolean {
  const latestDeadline = board.status.latestDeadline ?? board.status.deadline;
  return createBudgetLeft(context.df.currentUtcDateTime.getTime() + delayMs, latestDeadline, input.route);
}

/**
 * Every target a create was sent to: ARM may have made the group there although its answer was lost, so the
 * orchestrator deletes it on all but the one the job runs on (deleteAbandonedGroups).
 */
export class TriedTargets {
  private readonly tried: JobTarget[] = [];

  add(target: JobTarget): void {
    if (!this.tried.includes(target)) this.tried.push(target);
  }

  private readonly uncertain: JobTarget[] = [];

  /** A create on `target` failed in a way that does not say ARM did nothing (a transient error, a lost answer). */
  markUncertain(target: JobTarget): void {
    if (!this.uncertain.includes(target)) this.uncertain.push(target);
  }

  /** The targets where the group may exist although no create said so. */
  uncertainTargets(): readonly JobTarget[] {
    return this.uncertain;
  }

  /** The targets tried other than `target` (all of them when it is undefined), as AttemptProgress.abandoned. */
  abandonedBesides(target?: JobTarget): { abandoned?: JobTarget[] } {
    const rest = this.tried.filter((t) => t !== target);
    return rest.length > 0 ? { abandoned: rest } : {};
  }
}
