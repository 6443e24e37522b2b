import type { LogHandler } from '@azure/functions';
import * as os from 'node:os';
import type { AppSettings } from '../functionsHost/appSettings';
import { parseTimeSpanMs, readHostJson, resolveTaskHubName, type HostJson } from '../functionsHost/hostJson';
import type { Clock } from './clock';

export interface DurableEngineOptions {
  /** Default: a {@link RealClock}. Pass a {@link VirtualClock} to simulate time. */
  clock?: Clock;
  /** Directory for persisted instance state; omit for in-memory only. */
  stateDir?: string;
  /** fsync every state write (default true); false trades power-loss safety for speed in benchmarks. */
  fsync?: boolean;
  /** host.json to read `extensions.durableTask` (hubName, maxConcurrent*) from. */
  hostJsonPath?: string;
  /** Already-read host.json (the Functions host's), instead of `hostJsonPath`. */
  hostJson?: HostJson;
  /** Values for `%NAME%` references in host.json (e.g. `hubName: "%DURABLE_TASK_HUB%"`); then process.env, as the host. */
  appSettings?: Record<string, string | undefined>;
  /** Overrides host.json; letters and digits only. Default `TestHubName` (as Core Tools). */
  taskHubName?: string;
  /** Overrides host.json. Default 10 x CPU count (the extension's default). */
  maxConcurrentActivityFunctions?: number;
  /** Overrides host.json. Default 10 x CPU count (the extension's default). */
  maxConcurrentOrchestratorFunctions?: number;
  /** Management HTTP API (what the real DurableClient talks to). `false` to not listen. Default `{ port: 0 }`. */
  http?: false | { port?: number; host?: string };
  /**
   * Origin (scheme://host:port) of the local Functions host that mounts
   * `engine.handleHttpRequest` under `/runtime/webhooks/durabletask/`; used in
   * creationUrls / managementUrls. Default: the engine's own API origin.
   */
  webhookOrigin?: string;
  /** Log sink for orchestrator/activity `context.log`; default: silent. */
  logHandler?: LogHandler;
  /** Extension timer settings (Azure Storage defaults). */
  maximumShortTimerDuration?: string;
  longRunningTimerIntervalDuration?: string;
}

/** The options with host.json and the extension's defaults applied, validated. */
export interface EngineSettings {
  taskHubName: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  maximumShortTimerDuration: string;
  longRunningTimerIntervalDuration: string;
  maxShortTimerMs: number;
  longTimerIntervalMs: number;
}

function validateLimit(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`DurableEngine: ${name} must be an integer >= 1, got ${value}`);
  }
  return value;
}

/** A .NET TimeSpan (what the extension sends) or, as moment.duration also reads it, an ISO-8601 duration. */
function durationMs(text: string, what: string): number {
  const timeSpan = parseTimeSpanMs(text);
  if (timeSpan !== undefined) {
    return timeSpan;
  }
  const isoMatch = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (isoMatch && text !== 'P' && text !== 'PT') {
    const [, d, h, m, s] = isoMatch;
    return (
      ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 +
      Math.round(Number(s ?? 0) * 1000)
    );
  }
  throw new Error(`${what}: expected a duration like "3.00:00:00" or "P3D", got "${text}"`);
}

function definedSettings(settings: Record<string, string | undefined>): AppSettings {
  return Object.fromEntries(
    Object.entries(settings).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

export function resolveEngineSettings(options: DurableEngineOptions): EngineSettings {
  const hostJson =
    options.hostJson ?? (options.hostJsonPath ? readHostJson(options.hostJsonPath) : undefined);
  const fromHost = hostJson?.durableTask ?? {};
  const hub =
    options.taskHubName ??
    (hostJson ? resolveTaskHubName(hostJson, definedSettings(options.appSettings ?? {})) : undefined) ??
    'TestHubName';
  if (!/^[A-Za-z][A-Za-z0-9]{2,49}$/.test(hub)) {
    throw new Error(
      `DurableEngine: task hub name "${hub}" is invalid: it must start with a letter, contain only letters and digits, and be 3-50 characters long`,
    );
  }
  const cpuDefault = 10 * Math.max(1, os.availableParallelism());
  const maximumShortTimerDuration = options.maximumShortTimerDuration ?? '6.00:00:00';
  const longRunningTimerIntervalDuration = options.longRunningTimerIntervalDuration ?? '3.00:00:00';
  return {
    taskHubName: hub,
    maxConcurrentActivityFunctions: validateLimit(
      options.maxConcurrentActivityFunctions ?? fromHost.maxConcurrentActivityFunctions ?? cpuDefault,
      'maxConcurrentActivityFunctions',
    ),
    maxConcurrentOrchestratorFunctions: validateLimit(
      options.maxConcurrentOrchestratorFunctions ?? fromHost.maxConcurrentOrchestratorFunctions ?? cpuDefault,
      'maxConcurrentOrchestratorFunctions',
    ),
    maximumShortTimerDuration,
    longRunningTimerIntervalDuration,
    maxShortTimerMs: durationMs(maximumShortTimerDuration, 'maximumShortTimerDuration'),
    longTimerIntervalMs: durationMs(longRunningTimerIntervalDuration, 'longRunningTimerIntervalDuration'),
  };
}
