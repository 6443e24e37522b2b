import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { BlobStore } from '../adapters/blob/blobStore';
import type { AttemptSettled, EventLedger } from '../adapters/ledger/eventLedger';
import { archiveJobLog, type ArchiveJobLogResult } from '../shared/jobs/archiveJobLog';
import { classifyError, tagErrorMessage, type ErrorClass } from '../shared/errors/classifyError';
import { PermanentProviderError } from '../shared/errors/dispatchErrors';
import type { CreatedJob, JobProvider, JobSpec, JobStatus, JobTarget } from '../shared/jobs/jobProvider';
import type { EventQueue } from '../shared/messaging/eventQueue';
import type { JobSettledResult, ResultPublisher } from '../shared/messaging/resultPublisher';
import { containerGroupNameFor } from '../shared/naming/containerGroupName';
import { deadLetterMessageId } from '../shared/naming/dispatchNames';
import { backoffDelayMs } from '../shared/policy/backoff';
import { pollDelayMs } from '../shared/policy/pollSchedule';
import type { ResolvedRoute } from '../shared/routes/resolvedRoute';
import type { SecretReference } from '../shared/routes/routeSchema';
import {
  decideSettlement,
  deadLetterDescription,
  type AttemptOutcome,
  type DeadLetterReason,
} from '../shared/dispatch/decideSettlement';
import {
  DISPATCH_JOB_ORCHESTRATOR,
  type DispatchJobInput,
  type WatchState,
} from '../shared/dispatch/dispatchJobInput';
import { getServices } from '../shared/services/getServices';

/*
 * One event, one route, one attempt: create the container job, watch it under a deadline, clean up, settle.
 * The orchestrator below is replayed: it only uses context.df for time, timers and I/O (lint-enforced).
 */

export { DISPATCH_JOB_ORCHESTRATOR };
export type { DispatchJobInput, WatchState };

export const DispatchJobActivity = {
  createJob: 'dispatchJob_createJob',
  getJobStatus: 'dispatchJob_getJobStatus',
  stopJob: 'dispatchJob_stopJob',
  collectLogs: 'dispatchJob_collectLogs',
  deleteJob: 'dispatchJob_deleteJob',
  requeueEvent: 'dispatchJob_requeueEvent',
  deadLetterEvent: 'dispatchJob_deadLetterEvent',
  publishResult: 'dispatchJob_publishResult',
  recordOutcome: 'dispatchJob_recordOutcome',
} as const;

/** Lines of job output kept for the dead-letter description. */
export const LOG_TAIL_LINES = 50;
/**
 * While a job runs, its log is archived this often (on the next poll after), so a job whose group dies or is
 * deleted keeps its log up to then. 15 minutes: jobs shorter than that cost nothing extra (the log is archived
 * once, before the group is deleted), and a 24 h job adds 96 activities to the ~1,440 polls of a 1-minute route.
 */
export const LOG_SNAPSHOT_EVERY_MS = 15 * 60_000;
/** Create attempts on one target before moving to the next (transient errors only). */
export const CREATE_TRIES_PER_TARGET = 4;
const CREATE_RETRY_FIRST_MS = 5_000;
const CREATE_RETRY_MAX_MS = 60_000;
/** Settling must not lose the event: requeue / dead-letter sends are retried for about an hour and a half. */
const SEND_TRIES = 20;
const SEND_RETRY_FIRST_MS = 5_000;
const SEND_RETRY_MAX_MS = 300_000;
const CLEANUP_TRIES = 5;

export type DispatchJobPhase =
  | 'Creating'
  | 'Watching'
  | 'Stopping'
  | 'CollectingLogs'
  | 'Deleting'
  | 'Settling'
  | 'Succeeded'
  | 'Requeued'
  | 'DeadLettered';

/** What the portal and the status API show for every instance. */
export interface DispatchJobStatus {
  phase: DispatchJobPhase;
  route: string;
  eventId: string;
  attempt: number;
  maxAttempts: number;
  containerGroup: string;
  exitCode?: number;
  polls: number;
  /** ISO-8601. */
  deadline: string;
  reason?: string;
  /** Where the job runs (primary or fallback), once created. */
  target?: JobTarget;
  execution: number;
  /** The archived full log (a plain blob URL), once collected. */
  logUrl?: string;
  /** Why the log could not be archived (settling went on without it). */
  logArchiveError?: string;
}

/** The orchestration output. */
export interface DispatchJobSettlement {
  outcome: 'Succeeded' | 'Requeued' | 'DeadLettered';
  route: string;
  eventId: string;
  attempt: number;
  containerGroup: string;
  exitCode?: number;
  reason?: DeadLetterReason;
  /** Dead-letter description or the requeued copy's last error. */
  description?: string;
  nextAttempt?: number;
  /** ISO-8601, for a requeue. */
  scheduledEnqueueTime?: string;
  polls: number;
  logUrl?: string;
}

// ---- activity contracts (inputs and results are JSON) ----

export interface CreateJobInput {
  name: string;
  instanceId: string;
  route: string;
  eventId: string;
  attempt: number;
  job: ResolvedRoute['job'];
  eventJson: string;
  target: JobTarget;
}

export type ActivityFailure = {
  ok: false;
  class: ErrorClass;
  message: string;
  code?: string;
  retryAfterMs?: number;
};
export type CreateJobResult = { ok: true; created: CreatedJob } | ActivityFailure;
export type JobStatusResult = { ok: true; status: JobStatus } | ActivityFailure;

export interface JobRef {
  name: string;
  target: JobTarget;
}

/** Which attempt's log to collect (and where to archive it). */
export interface CollectLogsInput extends JobRef {
  tailLines: number;
  route: string;
  eventId: string;
  attempt: number;
  /** A snapshot of a running job: archive only (nothing to do without an archive). */
  snapshot?: boolean;
}

export interface RequeueInput {
  body: string;
  eventId: string;
  route: string;
  attempt: number;
  lastError: string;
  /** ISO-8601 (activity inputs are JSON). */
  scheduledEnqueueTime: string;
}

export interface DeadLetterInput {
  body: string;
  eventId: string;
  route: string;
  attempt: number;
  reason: string;
  description: string;
}

/** Resolves a route's secret references (shared/secrets' SecretEnvResolver). */
export interface SecretEnvSource {
  resolve(
    route: string,
    secretEnv: Readonly<Record<string, SecretReference>>,
  ): Promise<Record<string, string>>;
}

export interface DispatchJobActivityDeps {
  jobProvider: JobProvider;
  eventQueue: EventQueue;
  secretResolver?: SecretEnvSource;
  resultPublisher?: ResultPublisher;
  /** Where whole job logs are archived; without it only the tail is collected. */
  jobLogs?: { blobStore: BlobStore; container: string };
  /** The event ledger, told each attempt's outcome. */
  ledger?: EventLedger;
  /** Defaults to a no-op; never receives secret values. */
  log?: (message: string) => void;
}

export interface DispatchJobActivities {
  createJob(input: CreateJobInput): Promise<CreateJobResult>;
  getJobStatus(input: JobRef): Promise<JobStatusResult>;
  stopJob(input: JobRef): Promise<void>;
  collectLogs(input: CollectLogsInput): Promise<ArchiveJobLogResult>;
  deleteJob(input: JobRef): Promise<void>;
  requeueEvent(input: RequeueInput): Promise<void>;
  deadLetterEvent(input: DeadLetterInput): Promise<void>;
  publishResult(input: JobSettledResult): Promise<void>;
  recordOutcome(input: AttemptSettled): Promise<void>;
}

/**
 * The activities, as thin adapters over injected services. Expected failures of create/status come back as
 * results (so the orchestrator decides retry vs fallback vs dead-letter without parsing messages); the other
 * activities throw, tagging typed errors as `[ErrorName] message` so their class survives the boundary.
 */
export function createDispatchJobActivities(deps: DispatchJobActivityDeps): DispatchJobActivities {
  const log = deps.log ?? (() => undefined);
  const failure = (err: unknown): ActivityFailure => {
    const c = classifyError(err);
    return {
      ok: false,
      class: c.class,
      message: c.message,
      ...(c.code !== undefined ? { code: c.code } : {}),
      ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}),
    };
  };
  const rethrow = (err: unknown): never => {
    throw new Error(tagErrorMessage(err));
  };
  return {
    async createJob(input) {
      try {
        const { job } = input;
        const secretNames = Object.keys(job.secretEnv);
        let secureEnv: Record<string, string> = {};
        if (secretNames.length > 0) {
          if (!deps.secretResolver) {
            throw new PermanentProviderError(
              `route ${input.route}: secretEnv is set but no secret resolver is configured`,
            );
          }
          secureEnv = await deps.secretResolver.resolve(input.route, job.secretEnv);
        }
        const spec: JobSpec = {
          name: input.name,
          instanceId: input.instanceId,
          route: input.route,
          eventId: input.eventId,
          attempt: input.attempt,
          image: job.image,
          ...(job.command ? { command: job.command } : {}),
          cpu: job.cpu,
          memoryInGB: job.memoryInGB,
          env: job.env,
          secureEnv,
          eventDelivery: job.eventDelivery,
          ...(job.eventDelivery === 'file' ? { eventFilePath: job.filePath } : {}),
          eventJson: input.eventJson,
          ...(job.identityResourceId ? { identityResourceId: job.identityResourceId } : {}),
          ...(job.registryServer ? { registryServer: job.registryServer } : {}),
        };
        const created = await deps.jobProvider.create(spec, input.target);
        log(
          `job ${input.name}: ${created.reused ? 'reused existing' : 'created'} in ${created.target.location}`,
        );
        return { ok: true, created };
      } catch (err) {
        const result = failure(err);
        log(
          `job ${input.name}: create failed in ${input.target.location} (${result.class}): ${result.message}`,
        );
        return result;
      }
    },
    async getJobStatus(input) {
      try {
        return { ok: true, status: await deps.jobProvider.status(input.name, input.target) };
      } catch (err) {
        return failure(err);
      }
    },
    async stopJob(input) {
      await deps.jobProvider.stop(input.name, input.target).catch(rethrow);
    },
    async collectLogs(input) {
      if (input.snapshot && !deps.jobLogs) return { tail: '' };
      if (deps.jobLogs) {
        // Never throws: a log that cannot be read or archived is reported, and settling goes on.
        const result = await archiveJobLog(
          { readLog: () => deps.jobProvider.logs(input.name, input.target), ...deps.jobLogs },
          input,
        );
        if (result.archiveError) log(`job ${input.name}: ${result.archiveError}`);
        return result;
      }
      try {
        return { tail: await deps.jobProvider.logs(input.name, input.target, input.tailLines) };
      } catch (err) {
        // Logs are a diagnostic: their absence must not block settling the event.
        return { tail: `(logs unavailable: ${classifyError(err).message})` };
      }
    },
    async deleteJob(input) {
      await deps.jobProvider.delete(input.name, input.target).catch(rethrow);
    },
    async requeueEvent(input) {
      await deps.eventQueue
        .requeue({ ...input, scheduledEnqueueTime: new Date(input.scheduledEnqueueTime) })
        .catch(rethrow);
      log(
        `event ${input.eventId}: requeued for route ${input.route}, attempt ${input.attempt} at ${input.scheduledEnqueueTime}`,
      );
    },
    async deadLetterEvent(input) {
      const messageId = deadLetterMessageId(input.eventId, input.route, input.attempt);
      await deps.eventQueue.sendDeadLetterCopy({ ...input, messageId }).catch(rethrow);
      log(`event ${input.eventId}: dead-letter copy sent for route ${input.route} (${input.reason})`);
    },
    async publishResult(input) {
      if (!deps.resultPublisher) return;
      try {
        await deps.resultPublisher.publish(input);
      } catch (err) {
        // Lifecycle events are best-effort: the settlement itself already happened.
        log(`result for event ${input.eventId} not published: ${classifyError(err).message}`);
      }
    },
    async recordOutcome(input) {
      if (!deps.ledger) return;
      try {
        await deps.ledger.recordAttemptSettled(input);
      } catch (err) {
        // The settlement happened; the status API still sees the outcome in the orchestration's status.
        log(`outcome of ${input.instanceId} not recorded in the ledger: ${classifyError(err).message}`);
      }
    },
  };
}

// ---- the orchestrator ----

type Step<T> = Generator<Task, T, unknown>;

export function* dispatchJobOrchestrator(
  context: OrchestrationContext,
): Step<DispatchJobSettlement | undefined> {
  const input = context.df.getInput<DispatchJobInput>();
  const { route, attempt } = input;
  const instanceId = context.df.instanceId;
  const containerGroup = containerGroupNameFor(instanceId);
  const nowMs = (): number => context.df.currentUtcDateTime.getTime();
  const at = (ms: number): Date => new Date(ms);

  const status: DispatchJobStatus = {
    phase: input.watch ? 'Watching' : 'Creating',
    route: route.name,
    eventId: input.event.id,
    attempt,
    maxAttempts: route.policy.maxAttempts,
    containerGroup,
    polls: input.watch?.polls ?? 0,
    deadline: input.watch?.deadline ?? at(nowMs() + route.policy.timeoutMs).toISOString(),
    ...(input.watch ? { target: input.watch.target } : {}),
    execution: input.watch?.execution ?? 1,
  };
  const publish = (patch: Partial<DispatchJobStatus>): void => {
    Object.assign(status, patch);
    context.df.setCustomStatus({ ...status });
  };
  publish({});

  let outcome: AttemptOutcome | undefined;
  let watch = input.watch;
  let jobTarget: JobTarget | undefined = watch?.target;

  if (!watch) {
    const created = yield* createOnSomeTarget(context, input, containerGroup, instanceId);
    if (created.ok) {
      jobTarget = created.created.target;
      watch = {
        target: jobTarget,
        deadline: status.deadline,
        polls: 0,
        execution: 1,
        reused: created.created.reused,
      };
      publish({ phase: 'Watching', target: jobTarget });
    } else {
      outcome = created.outcome;
      // A permanent failure may leave a half-created group behind; a create-failed one has nothing to clean.
      if (created.outcome.kind === 'permanent') jobTarget = created.lastTarget;
    }
  }

  if (watch && !outcome) {
    const deadlineMs = Date.parse(watch.deadline);
    let executionPolls = 0;
    for (;;) {
      const remaining = deadlineMs - nowMs();
      if (remaining <= 0) {
        outcome = { kind: 'timed-out', timeout: route.policy.timeout };
        break;
      }
      // Clipped to the deadline, so one timer per poll races the deadline with nothing left to cancel.
      yield context.df.createTimer(at(nowMs() + pollDelayMs(watch.polls, route.policy.poll, remaining)));
      const result = (yield context.df.callActivity(DispatchJobActivity.getJobStatus, {
        name: containerGroup,
        target: watch.target,
      } satisfies JobRef)) as JobStatusResult;
      watch = { ...watch, polls: watch.polls + 1 };
      executionPolls++;
      outcome = interpretStatus(result);
      publish({
        polls: watch.polls,
        ...(outcome?.kind === 'exited' && outcome.exitCode !== undefined
          ? { exitCode: outcome.exitCode }
          : {}),
      });
      if (outcome) break;
      const lastSnapshotMs = Date.parse(watch.logSnapshotAt ?? '') || deadlineMs - route.policy.timeoutMs;
      if (nowMs() - lastSnapshotMs >= LOG_SNAPSHOT_EVERY_MS) {
        const snapshot = (yield context.df.callActivity(DispatchJobActivity.collectLogs, {
          name: containerGroup,
          target: watch.target,
          tailLines: LOG_TAIL_LINES,
          route: route.name,
          eventId: input.event.id,
          attempt,
          snapshot: true,
        } satisfies CollectLogsInput)) as ArchiveJobLogResult;
        watch = { ...watch, logSnapshotAt: at(nowMs()).toISOString() };
        if (snapshot.logUrl !== undefined) publish({ logUrl: snapshot.logUrl });
      }
      if (executionPolls >= input.pollsPerExecution) {
        // Keeps every execution's history bounded however long the job runs.
        const next: DispatchJobInput = { ...input, watch: { ...watch, execution: watch.execution + 1 } };
        context.df.continueAsNew(next);
        return undefined;
      }
    }
  }

  if (!outcome) outcome = { kind: 'lost', message: 'no outcome recorded' };

  let logTail = '';
  let logUrl: string | undefined;
  let logArchiveError: string | undefined;
  if (jobTarget) {
    const job: JobRef = { name: containerGroup, target: jobTarget };
    if (outcome.kind === 'timed-out') {
      publish({ phase: 'Stopping' });
      yield* callWithRetry(
        context,
        DispatchJobActivity.stopJob,
        job,
        CLEANUP_TRIES,
        CREATE_RETRY_FIRST_MS,
        CREATE_RETRY_MAX_MS,
      );
    }
    // A job that never got created has no logs; its (possibly half-created) group is still deleted.
    if (watch) {
      publish({ phase: 'CollectingLogs' });
      const collected = (yield context.df.callActivity(DispatchJobActivity.collectLogs, {
        ...job,
        tailLines: LOG_TAIL_LINES,
        route: route.name,
        eventId: input.event.id,
        attempt,
      } satisfies CollectLogsInput)) as ArchiveJobLogResult | string;
      // A string: history written before logs were archived (an instance resumed across the upgrade).
      const logs = typeof collected === 'string' ? { tail: collected } : collected;
      logTail = logs.tail;
      logUrl = logs.logUrl;
      logArchiveError = logs.archiveError;
      publish({
        ...(logs.logUrl !== undefined ? { logUrl: logs.logUrl } : {}),
        ...(logs.archiveError !== undefined ? { logArchiveError: logs.archiveError } : {}),
      });
    }
    publish({ phase: 'Deleting' });
    const deleted = yield* callWithRetry(
      context,
      DispatchJobActivity.deleteJob,
      job,
      CLEANUP_TRIES,
      CREATE_RETRY_FIRST_MS,
      CREATE_RETRY_MAX_MS,
    );
    if (!deleted.ok)
      logTail = `${logTail}\n(container group ${containerGroup} could not be deleted: ${deleted.message})`;
  }

  publish({ phase: 'Settling' });
  const decision = decideSettlement(outcome, {
    attempt,
    maxAttempts: route.policy.maxAttempts,
    nonRetryableExitCodes: route.policy.nonRetryableExitCodes,
  });
  const base = {
    route: route.name,
    eventId: input.event.id,
    attempt,
    containerGroup,
    polls: watch?.polls ?? 0,
    ...(logUrl !== undefined ? { logUrl } : {}),
    ...(decision.action !== 'complete' && decision.exitCode !== undefined
      ? { exitCode: decision.exitCode }
      : {}),
  };

  let settlement: DispatchJobSettlement;
  if (decision.action === 'complete') {
    settlement = { ...base, outcome: 'Succeeded', exitCode: 0 };
  } else if (decision.action === 'requeue') {
    const scheduled = at(nowMs() + backoffDelayMs(attempt, route.policy.backoff)).toISOString();
    const request: RequeueInput = {
      body: input.eventJson,
      eventId: input.event.id,
      route: route.name,
      attempt: attempt + 1,
      lastError: decision.lastError,
      scheduledEnqueueTime: scheduled,
    };
    const sent = yield* callWithRetry(
      context,
      DispatchJobActivity.requeueEvent,
      request,
      SEND_TRIES,
      SEND_RETRY_FIRST_MS,
      SEND_RETRY_MAX_MS,
    );
    if (!sent.ok)
      throw new Error(`requeue of event ${input.event.id} for route ${route.name} failed: ${sent.message}`);
    settlement = {
      ...base,
      outcome: 'Requeued',
      description: decision.lastError,
      nextAttempt: attempt + 1,
      scheduledEnqueueTime: scheduled,
    };
  } else {
    const header =
      `route ${route.name}, attempt ${attempt}/${route.policy.maxAttempts}, container group ${containerGroup}: ${decision.summary}` +
      (logUrl !== undefined ? `\nFull log: ${logUrl}` : '');
    const description = deadLetterDescription(header, logTail);
    const request: DeadLetterInput = {
      body: input.eventJson,
      eventId: input.event.id,
      route: route.name,
      attempt,
      reason: decision.reason,
      description,
    };
    const sent = yield* callWithRetry(
      context,
      DispatchJobActivity.deadLetterEvent,
      request,
      SEND_TRIES,
      SEND_RETRY_FIRST_MS,
      SEND_RETRY_MAX_MS,
    );
    if (!sent.ok)
      throw new Error(
        `dead-letter copy of event ${input.event.id} for route ${route.name} failed: ${sent.message}`,
      );
    settlement = { ...base, outcome: 'DeadLettered', reason: decision.reason, description };
  }

  const reason =
    settlement.reason ?? (settlement.outcome === 'Requeued' ? settlement.description : undefined);
  yield context.df.callActivity(DispatchJobActivity.recordOutcome, {
    eventId: input.event.id,
    source: input.event.source,
    route: route.name,
    attempt,
    instanceId,
    outcome: settlement.outcome,
    settledAt: context.df.currentUtcDateTime.toISOString(),
    ...(settlement.reason !== undefined ? { reason: settlement.reason } : {}),
    ...(settlement.description !== undefined ? { description: settlement.description } : {}),
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(logUrl !== undefined ? { logUrl } : {}),
    ...(logArchiveError !== undefined ? { logArchiveError } : {}),
  } satisfies AttemptSettled);
  yield context.df.callActivity(DispatchJobActivity.publishResult, {
    eventId: settlement.eventId,
    route: settlement.route,
    attempt,
    outcome: settlement.outcome,
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(settlement.scheduledEnqueueTime !== undefined
      ? { nextAttemptAt: settlement.scheduledEnqueueTime }
      : {}),
    instanceId,
    ...(logUrl !== undefined ? { logUrl } : {}),
    time: context.df.currentUtcDateTime.toISOString(),
  } satisfies JobSettledResult);
  publish({
    phase: settlement.outcome,
    ...(settlement.exitCode !== undefined ? { exitCode: settlement.exitCode } : {}),
    ...(reason !== undefined ? { reason: settlement.reason ?? reason } : {}),
  });
  return settlement;
}

/** A terminal outcome, or undefined while the job is still pending/running (or its status was unreadable). */
function interpretStatus(result: JobStatusResult): AttemptOutcome | undefined {
  if (!result.ok) {
    // A transient read error is just a missed poll; a permanent one (e.g. the group is gone) ends the attempt.
    return result.class === 'permanent' ? { kind: 'lost', message: result.message } : undefined;
  }
  const { status } = result;
  if (status.permanentFailure) {
    const detail = status.detail ?? 'the job can never run';
    return {
      kind: 'permanent',
      reason: /pull|image/i.test(detail) ? 'ImagePullFailed' : 'PermanentError',
      message: detail,
    };
  }
  if (status.state === 'Succeeded' || status.state === 'Failed') {
    const exitCode = status.exitCode ?? (status.state === 'Succeeded' ? 0 : undefined);
    return {
      kind: 'exited',
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(status.detail ? { detail: status.detail } : {}),
    };
  }
  return undefined;
}

type CreateOutcome =
  | { ok: true; created: CreatedJob }
  | {
      ok: false;
      outcome: Extract<AttemptOutcome, { kind: 'permanent' | 'create-failed' }>;
      lastTarget?: JobTarget;
    };

/**
 * Creates the job on the primary target, retrying transient errors with capped backoff (honouring Retry-After),
 * and moves to the next fallback on capacity/quota errors or when a target keeps failing.
 */
function* createOnSomeTarget(
  context: OrchestrationContext,
  input: DispatchJobInput,
  name: string,
  instanceId: string,
): Step<CreateOutcome> {
  const { route } = input;
  let lastMessage = 'no target configured';
  let allCapacity = true;
  for (const target of route.targets) {
    for (let tryNo = 1; ; tryNo++) {
      const request: CreateJobInput = {
        name,
        instanceId,
        route: route.name,
        eventId: input.event.id,
        attempt: input.attempt,
        job: route.job,
        eventJson: input.eventJson,
        target,
      };
      const result = (yield context.df.callActivity(
        DispatchJobActivity.createJob,
        request,
      )) as CreateJobResult;
      if (result.ok) return result;
      lastMessage = `${target.location}: ${result.message}`;
      if (result.class === 'permanent' || result.class === 'invalid-event' || result.class === 'config') {
        return {
          ok: false,
          outcome: { kind: 'permanent', reason: 'PermanentError', message: lastMessage },
          lastTarget: target,
        };
      }
      if (result.class === 'capacity') break;
      allCapacity = false;
      if (tryNo >= CREATE_TRIES_PER_TARGET) break;
      const delay =
        result.retryAfterMs ?? Math.min(CREATE_RETRY_FIRST_MS * 2 ** (tryNo - 1), CREATE_RETRY_MAX_MS);
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + delay));
    }
  }
  return {
    ok: false,
    outcome: {
      kind: 'create-failed',
      capacity: allCapacity,
      message: `could not create the job on any of ${route.targets.length} target(s); last error: ${lastMessage}`,
    },
  };
}

/** Calls an activity that throws on failure, retrying all but permanent errors with capped backoff. */
function* callWithRetry(
  context: OrchestrationContext,
  name: string,
  input: unknown,
  tries: number,
  firstDelayMs: number,
  maxDelayMs: number,
): Step<{ ok: true } | { ok: false; message: string }> {
  for (let tryNo = 1; ; tryNo++) {
    try {
      yield context.df.callActivity(name, input);
      return { ok: true };
    } catch (err) {
      const c = classifyError(err);
      if (c.class === 'permanent' || tryNo >= tries) return { ok: false, message: c.message };
      const delay = c.retryAfterMs ?? Math.min(firstDelayMs * 2 ** (tryNo - 1), maxDelayMs);
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + delay));
    }
  }
}

// ---- registration ----

/**
 * Production activities over the process-wide services (built lazily by getServices(), not at import, so
 * tests can import this file). The factory itself is cheap, so each invocation gets one that logs to its context.
 */
function productionActivities(context: InvocationContext): DispatchJobActivities {
  const services = getServices();
  return createDispatchJobActivities({
    jobProvider: services.jobProvider,
    eventQueue: services.eventQueue,
    secretResolver: services.secretResolver,
    ...(services.resultPublisher ? { resultPublisher: services.resultPublisher } : {}),
    jobLogs: { blobStore: services.blobStore, container: services.settings.storage.jobLogsContainer },
    ledger: services.ledger,
    log: (message) => context.log(message),
  });
}

/**
 * Registers the orchestrator and its activities with durable-functions. `activitiesFor` gives the activities
 * for one invocation (production: over getServices(); tests: over a scripted provider and a recording queue).
 */
export function registerDispatchJob(
  activitiesFor: (context: InvocationContext) => DispatchJobActivities,
): void {
  df.app.orchestration(DISPATCH_JOB_ORCHESTRATOR, dispatchJobOrchestrator);
  for (const [key, activityName] of Object.entries(DispatchJobActivity) as [
    keyof typeof DispatchJobActivity,
    string,
  ][]) {
    df.app.activity(activityName, {
      handler: (input: unknown, context: InvocationContext) =>
        (activitiesFor(context)[key] as (input: unknown) => Promise<unknown>)(input),
    });
  }
}

registerDispatchJob(productionActivities);
