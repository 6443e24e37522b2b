/** Runtime status as the Durable client reports it. */
export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated';

export const TERMINAL_STATUSES: readonly RuntimeStatus[] = ['Completed', 'Failed', 'Terminated'];

/** Thrown by startNew when an instance with that id is Pending/Running (the extension answers 409). */
export class OrchestrationAlreadyExistsError extends Error {
  override readonly name = 'OrchestrationAlreadyExistsError';
}

/** Thrown for an unknown orchestrator/instance (the extension answers 400/404). */
export class DurableNotFoundError extends Error {
  override readonly name = 'DurableNotFoundError';
}

/** Thrown when an operation does not apply to the instance's state (the extension answers 410/412). */
export class DurableStateError extends Error {
  override readonly name = 'DurableStateError';
  constructor(
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}
