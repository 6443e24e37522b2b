import type { LogLevel } from '@azure/functions';
import { formatLogArgs, type HostLogSink } from './hostLog';

/**
 * The Node worker in Azure turns the app's console output into host log lines; the local host does the same, so
 * the adapters' lines (`created container group ...`) read like every other line of the dev log. Returns the
 * function that puts the console back.
 */
export function routeConsoleToHostLog(log: HostLogSink): () => void {
  const levels: Array<[keyof Console, LogLevel]> = [
    ['log', 'information'],
    ['info', 'information'],
    ['debug', 'debug'],
    ['warn', 'warning'],
    ['error', 'error'],
  ];
  const target = console as unknown as Record<string, unknown>;
  const saved = levels.map(([name]) => [name, target[name]] as const);
  for (const [name, level] of levels) {
    (console as unknown as Record<string, (...args: unknown[]) => void>)[name] = (...args: unknown[]) =>
      log({ level, message: formatLogArgs(args) });
  }
  return () => {
    for (const [name, original] of saved) target[name] = original;
  };
}
