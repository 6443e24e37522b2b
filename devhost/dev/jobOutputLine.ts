import { OUTPUT_REPORT_MARKER } from '../../shared/jobOutputs/outputFileReport';
import type { HostLogRecord } from '../functionsHost/hostLog';

/**
 * The ACI emulator reports each line a container prints as `<resourceGroup>/<group>/<container>> <text>`. The dev
 * log shows it like compose does, prefixed by the job it came from: `demo-hello a1 ec365891 | <text>` (route,
 * attempt and the event hash, all read from the deterministic group name `<route>-<hash16>-a<attempt>`).
 */
const outputLine = /^[\w.()-]+\/(?<group>[a-z0-9-]+)\/[a-z0-9-]+> (?<text>.*)$/s;
const groupName = /^(?<route>.+)-(?<hash>[0-9a-f]{16})-a(?<attempt>\d+)$/;

/** The log record for a job's output line, or undefined when the emulator line is something else. */
export function jobOutputRecord(line: string): HostLogRecord | undefined {
  const match = outputLine.exec(line)?.groups;
  if (!match) return undefined;
  const group = match.group ?? '';
  const parts = groupName.exec(group)?.groups;
  const prefix = parts ? `${parts.route} a${parts.attempt} ${(parts.hash ?? '').slice(0, 8)}` : group;
  const text = match.text ?? '';
  // An output file's hex lines (up to ~700) would bury the job's own output: debug only; begin/end stay visible.
  const level = text.startsWith(`${OUTPUT_REPORT_MARKER} data `) ? 'debug' : 'information';
  return { level, message: `${prefix} | ${text}` };
}
