import type { BlobStore } from '../../adapters/blob/blobStore';
import { classifyError } from '../../shared/errors/classifyError';
import { OUTPUT_REPORT_MAX_LINES } from '../../shared/jobOutputs/outputFileReport';
import { readOutputReport } from '../../shared/jobOutputs/readOutputReport';
import { jobLogBlobName } from '../../shared/naming/jobLogBlobName';
import type { CollectedLogs } from './contracts';

export interface ArchiveJobLogInput {
  route: string;
  eventId: string;
  attempt: number;
  /** Lines of the log's end to return (for the dead-letter description). */
  tailLines: number;
  /** Read the output file report at the end of the log (routes with `job.outputFile`). */
  readOutput?: boolean;
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
    return {
      tail: `(logs unavailable: ${message})`,
      archiveError: `reading the log failed: ${message}`,
      ...(input.readOutput
        ? { outputReport: { ok: false, error: `the log could not be read: ${message}` } }
        : {}),
    };
  }
  const collected = tailAndOutput(log, input);
  try {
    // The archive keeps the whole log, the output report included; the tail shows the job's own lines.
    const { url } = await deps.blobStore.write(
      { container: deps.container, name: jobLogBlobName(input.route, input.eventId, input.attempt) },
      log,
      { metadata: { route: input.route, attempt: String(input.attempt) } },
    );
    return { ...collected, logUrl: url };
  } catch (err) {
    return { ...collected, archiveError: `archiving the log failed: ${classifyError(err).message}` };
  }
}

/** The log's tail (without the output report's lines) and, when asked for, the output report. */
export function tailAndOutput(
  log: string,
  input: Pick<ArchiveJobLogInput, 'tailLines' | 'readOutput'>,
): Pick<CollectedLogs, 'tail' | 'outputReport'> {
  if (!input.readOutput) return { tail: lastLines(log, input.tailLines) };
  const { report, jobLog } = readOutputReport(log);
  return { tail: lastLines(jobLog, input.tailLines), outputReport: report };
}

/**
 * ACI returns at most 4 MB of a container's log when asked for all of it: a job that printed more may have its
 * report cut off. A report that did not read well is read again from the log's last lines (`tail`, which ACI
 * counts from the end), with room for a few stray lines; the better answer wins.
 */
export async function rereadOutputFromTail(
  collected: CollectedLogs,
  readTail: (lines: number) => Promise<string>,
): Promise<CollectedLogs> {
  if (!collected.outputReport || collected.outputReport.ok) return collected;
  try {
    const again = readOutputReport(await readTail(OUTPUT_REPORT_MAX_LINES + 100)).report;
    return again.ok ? { ...collected, outputReport: again } : collected;
  } catch {
    return collected;
  }
}

function lastLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.slice(-count).join('\n');
}
