import { readFileSync } from 'node:fs';
import { resolveBindingExpression, type AppSettings } from './appSettings';

/** The parts of host.json the local host honours (the rest is the real host's business). */
export interface HostServiceBusSettings {
  maxConcurrentCalls: number;
  maxAutoLockRenewalDurationMs: number;
  autoCompleteMessages: boolean;
  prefetchCount: number;
}

/** `extensions.durableTask` settings the local Durable engine honours. */
export interface HostDurableTaskSettings {
  /** As written: may hold `%NAME%` app-setting references (see {@link resolveTaskHubName}). */
  hubName?: string;
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
}

export interface HostJson {
  /** Where it was read from, for error messages. */
  source: string;
  serviceBus: HostServiceBusSettings;
  durableTask: HostDurableTaskSettings;
}

/** The real host's defaults (Microsoft.Azure.WebJobs.Extensions.ServiceBus 5.x). */
export const defaultServiceBusSettings: HostServiceBusSettings = {
  maxConcurrentCalls: 16,
  maxAutoLockRenewalDurationMs: 5 * 60_000,
  autoCompleteMessages: true,
  prefetchCount: 0,
};

export class HostJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostJsonError';
  }
}

/** .NET TimeSpan text (`[d.]hh:mm:ss[.fff]`), as host.json writes durations, to milliseconds. */
export function parseTimeSpanMs(value: string): number | undefined {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!match) return undefined;
  const [, days, hours, minutes, seconds, fraction] = match;
  const ms = fraction === undefined ? 0 : Math.round(Number(`0.${fraction}`) * 1000);
  return (
    (((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + ms
  );
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HostJsonError(`${path}: expected an object`);
  }
  return value as Record<string, unknown>;
}

/** Reads the host.json object (already parsed) into the settings the local host uses, naming any bad value. */
export function parseHostJson(raw: unknown, source = 'host.json'): HostJson {
  const root = asObject(raw, source);
  const extensions = asObject(root.extensions, `${source}: extensions`);
  const sb = asObject(extensions.serviceBus, `${source}: extensions.serviceBus`);
  const settings: HostServiceBusSettings = { ...defaultServiceBusSettings };
  if (sb.maxConcurrentCalls !== undefined) {
    if (
      typeof sb.maxConcurrentCalls !== 'number' ||
      !Number.isInteger(sb.maxConcurrentCalls) ||
      sb.maxConcurrentCalls < 1
    ) {
      throw new HostJsonError(
        `${source}: extensions.serviceBus.maxConcurrentCalls: expected a positive integer`,
      );
    }
    settings.maxConcurrentCalls = sb.maxConcurrentCalls;
  }
  if (sb.prefetchCount !== undefined) {
    if (typeof sb.prefetchCount !== 'number' || !Number.isInteger(sb.prefetchCount) || sb.prefetchCount < 0) {
      throw new HostJsonError(
        `${source}: extensions.serviceBus.prefetchCount: expected a non-negative integer`,
      );
    }
    settings.prefetchCount = sb.prefetchCount;
  }
  if (sb.maxAutoLockRenewalDuration !== undefined) {
    const ms =
      typeof sb.maxAutoLockRenewalDuration === 'string'
        ? parseTimeSpanMs(sb.maxAutoLockRenewalDuration)
        : undefined;
    if (ms === undefined) {
      throw new HostJsonError(
        `${source}: extensions.serviceBus.maxAutoLockRenewalDuration: expected a TimeSpan such as "00:05:00"`,
      );
    }
    settings.maxAutoLockRenewalDurationMs = ms;
  }
  if (sb.autoCompleteMessages !== undefined) {
    if (typeof sb.autoCompleteMessages !== 'boolean') {
      throw new HostJsonError(
        `${source}: extensions.serviceBus.autoCompleteMessages: expected true or false`,
      );
    }
    settings.autoCompleteMessages = sb.autoCompleteMessages;
  }
  return {
    source,
    serviceBus: settings,
    durableTask: parseDurableTask(
      asObject(extensions.durableTask, `${source}: extensions.durableTask`),
      source,
    ),
  };
}

function parseDurableTask(durable: Record<string, unknown>, source: string): HostDurableTaskSettings {
  const result: HostDurableTaskSettings = {};
  if (durable.hubName !== undefined) {
    if (typeof durable.hubName !== 'string') {
      throw new HostJsonError(`${source}: extensions.durableTask.hubName: expected a string`);
    }
    result.hubName = durable.hubName;
  }
  for (const key of ['maxConcurrentActivityFunctions', 'maxConcurrentOrchestratorFunctions'] as const) {
    const value = durable[key];
    if (value !== undefined) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new HostJsonError(
          `${source}: extensions.durableTask.${key}: expected an integer >= 1, got ${JSON.stringify(value)}`,
        );
      }
      result[key] = value;
    }
  }
  return result;
}

/**
 * The task hub name host.json asks for, with `%NAME%` resolved from the app settings the way the host resolves
 * binding expressions; undefined when host.json names none. Resolved on demand, not at parse time, so a host
 * that does not run the Durable engine does not need the setting.
 */
export function resolveTaskHubName(hostJson: HostJson, settings: AppSettings): string | undefined {
  const { hubName } = hostJson.durableTask;
  return hubName === undefined
    ? undefined
    : resolveBindingExpression(hubName, settings, `${hostJson.source}: extensions.durableTask.hubName`);
}

/** Reads host.json from disk; a missing file means the real host's defaults. */
export function readHostJson(path: string): HostJson {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return parseHostJson({}, path);
    throw new HostJsonError(`${path}: cannot read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new HostJsonError(`${path}: invalid JSON: ${(err as Error).message}`);
  }
  return parseHostJson(raw, path);
}
