import type { OrchestrationContext } from 'durable-functions';
import type { JobTarget } from '../../adapters/aci/jobProvider';
import type { CreateJobInput, DispatchJobInput } from './contracts';
import type { StatusBoard } from './statusBoard';

/** The createJob activity's input for one target: the same with or without admission. */
export function createRequest(
  context: OrchestrationContext,
  input: DispatchJobInput,
  board: StatusBoard,
  target: JobTarget,
): CreateJobInput {
  return {
    name: board.containerGroup,
    instanceId: context.df.instanceId,
    route: input.route.name,
    eventId: input.event.id,
    attempt: input.attempt,
    job: input.route.job,
    eventJson: input.eventJson,
    target,
    deadline: board.status.deadline,
    ...(input.route.completion === 'callback' ? { callback: { deadline: board.status.deadline } } : {}),
  };
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

  /** The targets tried other than `target` (all of them when it is undefined), as AttemptProgress.abandoned. */
  abandonedBesides(target?: JobTarget): { abandoned?: JobTarget[] } {
    const rest = this.tried.filter((t) => t !== target);
    return rest.length > 0 ? { abandoned: rest } : {};
  }
}
