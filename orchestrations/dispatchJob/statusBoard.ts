import type { OrchestrationContext } from 'durable-functions';
import { containerGroupNameFor } from '../../shared/naming/containerGroupName';
import { latestDeadlineFrom } from './attemptDeadline';
import type { DispatchJobInput, DispatchJobStatus } from './contracts';

/** The instance's customStatus, kept current: every step reports its phase and what it learned here. */
export class StatusBoard {
  readonly status: DispatchJobStatus;

  constructor(
    private readonly context: OrchestrationContext,
    input: DispatchJobInput,
  ) {
    const { route, watch } = input;
    const now = context.df.currentUtcDateTime.getTime();
    // Until the create succeeds, the deadline shown is the latest it can be (the sweeper keeps the group till then).
    const latestDeadline = watch ? (watch.latestDeadline ?? watch.deadline) : latestDeadlineFrom(now, route);
    this.status = {
      phase: watch ? 'Watching' : 'Creating',
      route: route.name,
      eventId: input.event.id,
      eventSource: input.event.source,
      attempt: input.attempt,
      ...(input.resubmission ? { resubmission: input.resubmission } : {}),
      maxAttempts: route.policy.maxAttempts,
      containerGroup: containerGroupNameFor(context.df.instanceId),
      polls: watch?.polls ?? 0,
      deadline: watch?.deadline ?? latestDeadline,
      latestDeadline,
      ...(watch ? { target: watch.target } : {}),
      execution: watch?.execution ?? 1,
      ...(route.completion === 'callback' ? { callback: watch?.callback ? 'received' : 'waiting' } : {}),
    };
    this.publish({});
  }

  get containerGroup(): string {
    return this.status.containerGroup;
  }

  publish(patch: Partial<DispatchJobStatus>): void {
    Object.assign(this.status, patch);
    this.context.df.setCustomStatus({ ...this.status });
  }
}
