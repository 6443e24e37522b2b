import { descriptionSummary } from './decideSettlement';
import { InvalidEventError, PermanentProviderError } from '../../shared/errors/dispatchErrors';
import { MAX_ENV_EVENT_BYTES } from '../../shared/events/eventLimits';
import { classifyError, tagErrorMessage } from '../../shared/errors/classifyError';
import type { JobProvider, JobSpec } from '../../adapters/aci/jobProvider';
import type { BlobStore } from '../../adapters/blob/blobStore';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import type { SecretResolver } from '../../adapters/keyVault/secretEnvResolver';
import type { EventQueue } from '../../adapters/serviceBus/eventQueue';
import type { ResultPublisher } from '../../adapters/serviceBus/resultPublisher';
import { isCancellation, noMetrics, type DispatchMetrics } from '../../shared/metrics/dispatchMetrics';
import { callbackUrlFor } from '../../shared/callbacks/callbackRoute';
import { callbackToken, type CallbackKey } from '../../shared/callbacks/callbackToken';
import { awaitJobExit } from './awaitJobExit';
import { eventForJob, type ClaimCheckStore } from './eventForJob';
import { archiveJobLog, rereadOutputFromTail, tailAndOutput } from './archiveJobLog';
import type {
  ActivityFailure,
  CollectLogsInput,
  CollectedLogs,
  CreateJobInput,
  CreateJobResult,
  DeadLetterInput,
  JobRef,
  JobStatusRequest,
  JobStatusResult,
  RequeueInput,
  SettlementNotice,
} from './contracts';

/** A claim-check URL outlives the attempt's deadline by this much (a job reading its event late is stopped anyway). */
const CLAIM_CHECK_GRACE_MS = 10 * 60_000;

export interface DispatchJobActivityDeps {
  jobProvider: JobProvider;
  eventQueue: EventQueue;
  secretResolver?: SecretResolver;
  resultPublisher?: ResultPublisher;
  /** Needed by callback routes: the key tokens are derived with and the app's callback base URL. */
  callbacks?: { key: CallbackKey; baseUrl?: string };
  /** The claim check: where large events are written for jobs and `dataref` data is read from. */
  claimCheck?: ClaimCheckStore;
  /** Where whole job logs are archived; without it only the tail is collected. */
  jobLogs?: { blobStore: BlobStore; container: string };
  /** The event ledger, told each attempt's outcome. */
  ledger?: EventLedger;
  /** Defaults to recording nothing. Activities record, the replayed orchestrator never does. */
  metrics?: DispatchMetrics;
  /** Defaults to a no-op; never receives secret values. */
  log?: (message: string) => void;
  /** Warnings (an expected dead-letter); `log` when absent. */
  warn?: (message: string) => void;
  /** The activities' clock (tests pass the virtual one). */
  now?: () => Date;
}

export interface DispatchJobActivities {
  createJob(input: CreateJobInput): Promise<CreateJobResult>;
  getJobStatus(input: JobStatusRequest): Promise<JobStatusResult>;
  stopJob(input: JobRef): Promise<void>;
  collectLogs(input: CollectLogsInput): Promise<CollectedLogs>;
  deleteJob(input: JobRef): Promise<void>;
  requeueEvent(input: RequeueInput): Promise<void>;
  deadLetterEvent(input: DeadLetterInput): Promise<void>;
  publishResult(input: SettlementNotice): Promise<void>;
}

/**
 * The activities, as thin adapters over injected services. Expected failures of create/status come back as
 * results (so the orchestrator decides retry vs fallback vs dead-letter without parsing messages); the other
 * activities throw, tagging typed errors as `[ErrorName] message` so their class survives the boundary.
 */
export function createDispatchJobActivities(deps: DispatchJobActivityDeps): DispatchJobActivities {
  const log = deps.log ?? (() => undefined);
  const warn = deps.warn ?? log;
  const metrics = deps.metrics ?? noMetrics;
  const now = deps.now ?? (() => new Date());
  const failure = (err: unknown): ActivityFailure => {
    const c = classifyError(err);
    return {
      ok: false,
      class: c.class,
      message: c.message,
      ...(c.code !== undefined ? { code: c.code } : {}),
      ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}),
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
    };
  };
  const rethrow = (err: unknown): never => {
    throw new Error(tagErrorMessage(err));
  };
  const callbackFor = (instanceId: string, deadline: string): { url: string; token: string } => {
    const { key, baseUrl } = deps.callbacks ?? {};
    if (!key || baseUrl === undefined) {
      throw new PermanentProviderError(
        `job ${instanceId}: the route wants a callback but the app has no callback ${key ? 'base URL (DISPATCH_CALLBACK_BASE_URL / WEBSITE_HOSTNAME)' : 'key'}`,
      );
    }
    // Derived here, never passed in: the orchestration's history holds the deadline, not the token.
    return { url: callbackUrlFor(baseUrl, instanceId), token: callbackToken(key, instanceId, deadline) };
  };
  return {
    async createJob(input) {
      try {
        const { job } = input;
        const eventBytes = Buffer.byteLength(input.eventJson, 'utf8');
        if (job.eventDelivery === 'env' && eventBytes > MAX_ENV_EVENT_BYTES) {
          throw new InvalidEventError(
            `event is ${eventBytes} bytes, more than the ${MAX_ENV_EVENT_BYTES} bytes one environment variable can hold; route ${input.route} delivers it as DISPATCH_EVENT: set job.eventDelivery to "file" for events this large`,
            'body',
          );
        }
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
          ...(job.outputFile !== undefined ? { outputFile: job.outputFile } : {}),
          ...(await eventForJob({
            eventJson: input.eventJson,
            delivery: job.eventDelivery,
            instanceId: input.instanceId,
            expiresOn: new Date(Date.parse(input.deadline) + CLAIM_CHECK_GRACE_MS),
            ...(deps.claimCheck ? { store: deps.claimCheck } : {}),
          }).then((e) => ('eventUrl' in e ? { eventJson: '', eventUrl: e.eventUrl } : e))),
          ...(job.identityResourceId ? { identityResourceId: job.identityResourceId } : {}),
          ...(job.registryServer ? { registryServer: job.registryServer } : {}),
          ...(input.callback ? { callback: callbackFor(input.instanceId, input.callback.deadline) } : {}),
          ...(job.tags && Object.keys(job.tags).length > 0 ? { tags: job.tags } : {}),
          createdAt: now().toISOString(),
        };
        const created = await deps.jobProvider.create(spec, input.target);
        if (!created.reused) metrics.jobStarted(input.route);
        if (input.capacityWaitMs !== undefined) metrics.capacityWaited(input.route, input.capacityWaitMs);
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
        const read = () => deps.jobProvider.status(input.name, input.target);
        const status = await awaitJobExit(read, input.awaitExitMs ?? 0);
        if (input.route !== undefined && status.finishTime !== undefined && !status.permanentFailure) {
          metrics.detectionDelay(input.route, now().getTime() - Date.parse(status.finishTime));
        }
        return { ok: true, status };
      } catch (err) {
        return failure(err);
      }
    },
    async stopJob(input) {
      await deps.jobProvider.stop(input.name, input.target).catch(rethrow);
    },
    async collectLogs(input) {
      if (input.snapshot && !deps.jobLogs) return { tail: '' };
      const readTail = (lines: number): Promise<string> =>
        deps.jobProvider.logs(input.name, input.target, lines);
      if (deps.jobLogs) {
        // Never throws: a log that cannot be read or archived is reported, and settling goes on.
        const readLog = (): Promise<string> => deps.jobProvider.logs(input.name, input.target);
        const result = await archiveJobLog({ readLog, ...deps.jobLogs }, input);
        if (result.archiveError) log(`job ${input.name}: ${result.archiveError}`);
        return rereadOutputFromTail(result, readTail);
      }
      try {
        // The output report is at the end of the whole log: read all of it only when there is one to read.
        if (input.readOutput) {
          const collected = tailAndOutput(await deps.jobProvider.logs(input.name, input.target), input);
          return await rereadOutputFromTail(collected, readTail);
        }
        return { tail: await deps.jobProvider.logs(input.name, input.target, input.tailLines) };
      } catch (err) {
        // Logs are a diagnostic: their absence must not block settling the event.
        const message = classifyError(err).message;
        return {
          tail: `(logs unavailable: ${message})`,
          ...(input.readOutput
            ? { outputReport: { ok: false, error: `the log could not be read: ${message}` } }
            : {}),
        };
      }
    },
    async deleteJob(input) {
      await deps.jobProvider.delete(input.name, input.target).catch(rethrow);
    },
    async requeueEvent(input) {
      const { eventId, eventSource, ...rest } = input;
      await deps.eventQueue
        .requeue({
          ...rest,
          identity: { source: eventSource, id: eventId },
          scheduledEnqueueTime: new Date(input.scheduledEnqueueTime),
        })
        .catch(rethrow);
      log(
        `event ${input.eventId}: requeued for route ${input.route}, attempt ${input.attempt} at ${input.scheduledEnqueueTime}`,
      );
    },
    async deadLetterEvent(input) {
      const { eventId, eventSource, ...rest } = input;
      await deps.eventQueue
        .sendDeadLetterCopy({ ...rest, identity: { source: eventSource, id: eventId } })
        .catch(rethrow);
      // The one line an expected dead-letter gets: reason and what happened (the log tail is in the status API).
      warn(
        `dead-lettering event ${input.eventId} (source ${input.eventSource}), route ${input.route}, attempt ${input.attempt} (${input.reason}): ${descriptionSummary(input.description, '; ')}`,
      );
    },
    async publishResult({ result, outcome, usage }) {
      if (usage) {
        metrics.jobSettled({
          route: result.route,
          outcome: result.outcome,
          ...(result.outcome !== 'Succeeded' && usage.reason !== undefined ? { reason: usage.reason } : {}),
          durationMs: usage.durationMs,
          groupLifetimeMs: usage.groupLifetimeMs,
          cpu: usage.cpu,
          memoryInGB: usage.memoryInGB,
        });
        if (isCancellation(result.outcome, usage.reason)) metrics.jobCancelled(result.route);
      }
      // Both best effort: the settlement already happened, and the orchestration's status shows it anyway.
      await Promise.all([
        deps.ledger?.recordAttemptSettled(outcome).catch((err: unknown) => {
          log(`outcome of ${outcome.instanceId} not recorded in the ledger: ${classifyError(err).message}`);
        }),
        deps.resultPublisher?.publish(result).catch((err: unknown) => {
          log(`result for event ${result.eventId} not published: ${classifyError(err).message}`);
        }),
      ]);
    },
  };
}
