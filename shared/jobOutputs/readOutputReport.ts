import { MAX_OUTPUT_FILE_BYTES, OUTPUT_REPORT_MARKER } from './outputFileReport';
import { adler32 } from './adler32';

/** What a job's log says about its output file. */
export type OutputReport =
  | { ok: true; output: unknown }
  | {
      ok: false;
      /** Why there is no output, for the status API and the result event (never fails settlement). */
      error: string;
    };

export interface ReadOutputResult {
  report: OutputReport;
  /** The log without the report's lines (so the log tail shows the job's own last lines). */
  jobLog: string;
}

const reportLine = new RegExp(`${escape(OUTPUT_REPORT_MARKER)} ([a-z-]+)(?: (.*))?$`);

/**
 * Reads the output file report the epilogue printed at the end of `log` (see outputFileReport.ts): the last
 * report wins. Verifies the lengths and the Adler-32, decodes UTF-8, parses JSON and applies the 64 KB limit to the JSON.
 */
export function readOutputReport(log: string): ReadOutputResult {
  const lines = log.split('\n');
  const kept: string[] = [];
  let start: { kind: string; args: string[] } | undefined;
  let hex: string[] = [];
  let end: string[] | undefined;
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const match = reportLine.exec(line);
    if (!match) {
      kept.push(raw);
      continue;
    }
    // A report line may follow job output that did not end with a newline: keep that output.
    const before = line.slice(0, match.index);
    if (before !== '') kept.push(before);
    const kind = match[1] ?? '';
    const args = (match[2] ?? '').split(' ').filter((a) => a !== '');
    if (kind === 'data') hex.push(args[0] ?? '');
    else if (kind === 'end') end = args;
    else {
      start = { kind, args };
      hex = [];
      end = undefined;
    }
  }
  return { report: decide(start, hex, end), jobLog: kept.join('\n') };
}

function decide(
  start: { kind: string; args: string[] } | undefined,
  hex: string[],
  end: string[] | undefined,
): OutputReport {
  const fail = (error: string): OutputReport => ({ ok: false, error });
  if (!start) {
    return fail(
      'no output report in the log: the command did not finish (stopped, killed or timed out) or the log was cut before its end',
    );
  }
  if (start.kind === 'missing') return fail('the job wrote no file at DISPATCH_OUTPUT_FILE');
  if (start.kind === 'unreadable') return fail('the file at DISPATCH_OUTPUT_FILE could not be read');
  if (start.kind === 'too-big') {
    return fail(`the output file is ${start.args[0] ?? '?'} bytes, at most ${MAX_OUTPUT_FILE_BYTES} allowed`);
  }
  if (start.kind !== 'begin') return fail(`unknown output report '${start.kind}' in the log`);
  if (!end) return fail('the output report in the log is truncated (no end line): the log was cut');
  // The file's size before printing, the bytes awk printed, and their Adler-32 must all agree with what arrived.
  const size = Number(start.args[0]);
  const printed = Number(end[0]);
  const sum = Number(end[1]);
  const text = hex.join('');
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) return fail('the output report in the log is corrupt (not hex)');
  const bytes = Buffer.from(text, 'hex');
  const matches = adler32(bytes) === sum;
  if (bytes.length !== size || printed !== size || !matches) {
    return fail(
      `the output report in the log is corrupt: ${bytes.length} bytes read, ${size} expected, checksum ${matches ? 'matches' : 'differs'}`,
    );
  }
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('the output file is not UTF-8 text');
  }
  let output: unknown;
  try {
    output = JSON.parse(json);
  } catch (err) {
    return fail(`the output file is not JSON: ${(err as Error).message}`);
  }
  // The same bound as a callback's output, on the JSON as stored (e.g. `1e9` grows when re-serialized).
  const stored = Buffer.byteLength(JSON.stringify(output), 'utf8');
  if (stored > MAX_OUTPUT_FILE_BYTES) {
    return fail(`the output is ${stored} bytes of JSON, at most ${MAX_OUTPUT_FILE_BYTES} allowed`);
  }
  return { ok: true, output };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
