import type { JobStatus } from '../../adapters/aci/jobProvider';

/** How often the status is re-read while a job that called back is still stopping. */
export const EXIT_RECHECK_MS = 200;

/**
 * Reads the job's status, and while it is still Pending/Running re-reads it every EXIT_RECHECK_MS for up to
 * `withinMs`. A job calls back just before it exits, so the container is often still stopping when the callback
 * arrives; ACI stays the authority on the exit code, and waiting here costs no orchestration episodes.
 */
export async function awaitJobExit(read: () => Promise<JobStatus>, withinMs: number): Promise<JobStatus> {
  const until = Date.now() + withinMs;
  for (;;) {
    const status = await read();
    const stillRunning = status.state === 'Pending' || status.state === 'Running';
    if (!stillRunning || status.permanentFailure || Date.now() + EXIT_RECHECK_MS > until) return status;
    await new Promise((resolve) => setTimeout(resolve, EXIT_RECHECK_MS));
  }
}
