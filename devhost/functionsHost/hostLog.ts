import { format } from 'node:util';
import type { LogLevel } from '@azure/functions';

/** One log line from the host or from a function (`functionName` set). */
export interface HostLogRecord {
  level: LogLevel;
  message: string;
  functionName?: string;
  invocationId?: string;
}

export type HostLogSink = (record: HostLogRecord) => void;

const levelOrder: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

const levelLabel: Record<LogLevel, string> = {
  trace: 'trace',
  debug: 'debug',
  information: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'crit',
  none: '',
};

/** Whether `level` passes `minimum` (host.json style: `information` hides trace and debug). */
export function isLevelEnabled(level: LogLevel, minimum: LogLevel): boolean {
  return levelOrder[level] >= levelOrder[minimum] && level !== 'none';
}

/**
 * Console sink in the spirit of `func start`: `[time] [level] Function.name: message`. Errors and warnings go
 * to stderr so they survive `> /dev/null`.
 */
export function consoleLogSink(minimum: LogLevel = 'information'): HostLogSink {
  return (record) => {
    if (!isLevelEnabled(record.level, minimum)) return;
    const who = record.functionName ? `Functions.${record.functionName}: ` : '';
    const line = `[${new Date().toISOString()}] [${levelLabel[record.level]}] ${who}${record.message}\n`;
    if (levelOrder[record.level] >= levelOrder.warning) process.stderr.write(line);
    else process.stdout.write(line);
  };
}

/** Formats `context.log(...)` arguments as the Node worker does (util.format). */
export function formatLogArgs(args: unknown[]): string {
  return format(...args);
}
