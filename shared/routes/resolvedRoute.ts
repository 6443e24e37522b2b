import { ConfigError } from '../errors/dispatchErrors';
import type { JobTarget } from '../../adapters/aci/jobProvider';
import type { BackoffPolicy } from '../policy/backoff';
import { parseIsoDuration } from '../policy/isoDuration';
import type { PollPolicy } from '../policy/pollSchedule';
import type { RouteDefinition, SecretReference } from './routeSchema';

/**
 * A route with every default applied and every duration in milliseconds: the snapshot an orchestration carries
 * in its input, so a running job keeps the route it started with even if the routes file changes, and the
 * orchestrator never reads settings or parses anything.
 */
export interface ResolvedRoute {
  name: string;
  match: { type: string; source?: string; subject?: string };
  job: {
    image: string;
    command?: string[];
    cpu: number;
    memoryInGB: number;
    env: Record<string, string>;
    /** References only; values are resolved inside the create activity and never enter history. */
    secretEnv: Record<string, SecretReference>;
    eventDelivery: 'env' | 'file';
    filePath: string;
    /** Set as DISPATCH_OUTPUT_FILE; the command then runs under the output epilogue (shared/jobOutputs). */
    outputFile?: string;
    registryServer?: string;
    identityResourceId?: string;
    /** The route's `tags`, written on its container groups. */
    tags: Record<string, string>;
  };
  /** `callback`: the job is given a callback URL and token, and polling falls back to the max interval. */
  completion: 'poll' | 'callback';
  /** The primary target first, then the fallbacks in order; all fields filled in. */
  targets: JobTarget[];
  policy: {
    /** As written (for messages); `timeoutMs` is what the orchestrator uses. */
    timeout: string;
    timeoutMs: number;
    maxAttempts: number;
    backoff: BackoffPolicy;
    poll: PollPolicy;
    nonRetryableExitCodes: number[];
    /** Callback routes: how often the job is polled as a safety net while no callback has come. */
    callbackFallbackMs: number;
    /** Admission: at most this many of the route's jobs at once; undefined = no cap. */
    concurrency?: number;
    /** Admission: higher first. */
    priority: number;
    /** As written; `capacityWaitMs` is what the orchestrator uses. */
    capacityWait: string;
    capacityWaitMs: number;
  };
}

/** A callback route polls only for jobs killed before they could call back: rarely, unless it says otherwise. */
export const DEFAULT_CALLBACK_FALLBACK_MS = 10 * 60_000;

/** Settings that fill in what a route leaves out (DISPATCH_DEFAULT_*, DISPATCH_JOB_IDENTITY_ID). */
export interface RouteDefaults {
  subscriptionId?: string;
  resourceGroup?: string;
  location?: string;
  jobIdentityId?: string;
}

const SETTING_FOR = {
  subscriptionId: 'DISPATCH_DEFAULT_SUBSCRIPTION_ID',
  resourceGroup: 'DISPATCH_DEFAULT_RESOURCE_GROUP',
  location: 'DISPATCH_DEFAULT_LOCATION',
} as const;

/**
 * Applies the defaults to every route; throws ConfigError naming each route whose target cannot be completed.
 * A fallback inherits what it omits from the (resolved) primary target.
 */
export function resolveRoutes(routes: readonly RouteDefinition[], defaults: RouteDefaults): ResolvedRoute[] {
  const errors: string[] = [];
  const resolved = routes.map((route, i) => resolveOne(route, i, defaults, errors));
  if (errors.length > 0)
    throw new ConfigError(`routes cannot be resolved:\n${errors.map((e) => `  ${e}`).join('\n')}`, errors);
  return resolved;
}

function resolveOne(
  route: RouteDefinition,
  index: number,
  defaults: RouteDefaults,
  errors: string[],
): ResolvedRoute {
  const at = `routes[${index}].target`;
  const pick = (field: keyof typeof SETTING_FOR): string => {
    const value = route.target[field] ?? defaults[field];
    if (value === undefined || value === '') {
      errors.push(`${at}.${field}: not set, and the ${SETTING_FOR[field]} setting is empty`);
      return '';
    }
    return value;
  };
  const primary: JobTarget = {
    subscriptionId: pick('subscriptionId'),
    resourceGroup: pick('resourceGroup'),
    location: pick('location'),
  };
  const targets = [
    primary,
    ...route.target.fallbacks.map((f) => ({
      subscriptionId: f.subscriptionId ?? primary.subscriptionId,
      resourceGroup: f.resourceGroup ?? primary.resourceGroup,
      location: f.location ?? primary.location,
    })),
  ];
  const { job, policy } = route;
  const identity = job.registry?.identity ?? defaults.jobIdentityId;
  return {
    name: route.name,
    match: { ...route.match },
    job: {
      image: job.image,
      ...(job.command ? { command: [...job.command] } : {}),
      cpu: job.cpu,
      memoryInGB: job.memoryInGB,
      env: { ...job.env },
      secretEnv: { ...job.secretEnv },
      eventDelivery: job.eventDelivery,
      filePath: job.filePath,
      ...(job.outputFile !== undefined ? { outputFile: job.outputFile } : {}),
      ...(job.registry ? { registryServer: job.registry.server } : {}),
      ...(identity ? { identityResourceId: identity } : {}),
      tags: { ...route.tags },
    },
    completion: route.completion,
    targets,
    policy: {
      timeout: policy.timeout,
      timeoutMs: parseIsoDuration(policy.timeout),
      maxAttempts: policy.maxAttempts,
      backoff: {
        initialMs: parseIsoDuration(policy.backoff.initial),
        factor: policy.backoff.factor,
        maxMs: parseIsoDuration(policy.backoff.max),
      },
      poll: { initialMs: parseIsoDuration(policy.poll.initial), maxMs: parseIsoDuration(policy.poll.max) },
      nonRetryableExitCodes: [...policy.nonRetryableExitCodes],
      callbackFallbackMs:
        policy.poll.fallback !== undefined
          ? parseIsoDuration(policy.poll.fallback)
          : Math.max(parseIsoDuration(policy.poll.max), DEFAULT_CALLBACK_FALLBACK_MS),
      ...(policy.concurrency !== undefined ? { concurrency: policy.concurrency } : {}),
      priority: policy.priority,
      capacityWait: policy.capacityWait,
      capacityWaitMs: parseIsoDuration(policy.capacityWait),
    },
  };
}
