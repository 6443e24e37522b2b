import type { BlobStore } from '../../adapters/blob/blobStore';
import { classifyError } from '../../shared/errors/classifyError';
import { jobLogBlobName } from '../../shared/naming/jobLogBlobName';
import type { CollectedLogs } from './contracts';

export interface ArchiveJobLogInput {
  route: string;
  eventId: string;
  attempt: number;
  /** Lines of the log's end to return (for the dead-letter description). */
  tailLines: number;
}

export interface ArchiveJobLogDeps {
  /** The job's whole available log (ACI: the container's log without `tail`). */
  readLog(): Promise<string>;
  blobStore: BlobStore;
  container: string;
}

/**
 * Reads the job's whole available log, writes it to `<container>/<route>/<eventId>/a<attempt>.log` and returns
 * its tail and URL. Never throws: a log that cannot be read or written is reported in `archiveError`, so that
 * settling the event never waits on Storage.
 */
export async function archiveJobLog(
  deps: ArchiveJobLogDeps,
  input: ArchiveJobLogInput,
): Promise<CollectedLogs> {
  let log: string;
  try {
    log = await deps.readLog();
  } catch (err) {
    const message = classifyError(err).message;
    return { tail: `(logs unavailable: ${message})`, archiveError: `reading the log failed: ${message}` };
  }
  const tail = lastLines(log, input.tailLines);
  try {
    const { url } = await deps.blobStore.write(
      { container: deps.container, name: jobLogBlobName(input.route, input.eventId, input.attempt) },
      log,
      { metadata: { route: input.route, attempt: String(input.attempt) } },
    );
    return { tail, logUrl: url };
  } catch (err) {
    return { tail, archiveError: `archiving the log failed: ${classifyError(err).message}` };
  }
}

function lastLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.slice(-count).join('\n');
}
