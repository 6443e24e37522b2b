import type { JobStatusResult } from './contracts';
import type { AttemptOutcome } from './decideSettlement';

/** A terminal outcome, or undefined while the job is still pending/running (or its status was unreadable). */
export function interpretJobStatus(result: JobStatusResult): AttemptOutcome | undefined {
  if (!result.ok) {
    // A transient read error is just a missed poll; a permanent one (e.g. the group is gone) ends the attempt.
    return result.class === 'permanent' ? { kind: 'lost', message: result.message } : undefined;
  }
  const { status } = result;
  if (status.permanentFailure) {
    // The provider typed the failure: its reason is the dead-letter reason.
    return {
      kind: 'permanent',
      reason: status.permanentFailure,
      message: status.detail ?? 'the job can never run',
    };
  }
  if (status.state === 'Succeeded' || status.state === 'Failed') {
    const exitCode = status.exitCode ?? (status.state === 'Succeeded' ? 0 : undefined);
    return {
      kind: 'exited',
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(status.detail ? { detail: status.detail } : {}),
    };
  }
  return undefined;
}
