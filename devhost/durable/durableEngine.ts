import { InvocationContext } from '@azure/functions';
import type { FunctionHandler, FunctionInput, InvocationContextInit, LogHandler } from '@azure/functions';
import * as df from 'durable-functions';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as os from 'node:os';
import type { FunctionRegistry } from '../registrations/captureRegistrations';
import { RealClock, VirtualClock } from './clock';
import type { Clock, ClockTimer } from './clock';
import { HistoryEventType } from './historyEvent';
import type { FailureDetailsPayload, HistoryEvent } from './historyEvent';
import { InstanceStore } from './instanceStore';
import {
  DurableNotFoundError,
  DurableStateError,
  OrchestrationAlreadyExistsError,
  TERMINAL_STATUSES,
} from './durableErrors';
import type { RuntimeStatus } from './durableErrors';
import { DurableHttpApi } from './durableHttpApi';

export { DurableNotFoundError, DurableStateError, OrchestrationAlreadyExistsError, TERMINAL_STATUSES };
export type { RuntimeStatus };

/** What `df.app.orchestration` / `df.app.activity` hand to `app.generic`. */
export type DurableFunctionHandler = FunctionHandler;

export interface DurableEngineOptions {
  /** Default: a {@link RealClock}. Pass a {@link VirtualClock} to simulate time. */
  clock?: Clock;
  /** Directory for persisted instance state; omit for in-memory only. */
  stateDir?: string;
  /** fsync every state write (default true); false trades power-loss safety for speed in benchmarks. */
  fsync?: boolean;
  /** host.json to read `extensions.durableTask` (hubName, maxConcurrent*) from. */
  hostJsonPath?: string;
  /** Values for `%NAME%` references in host.json (e.g. `hubName: "%DURABLE_TASK_HUB%"`). */
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

export interface StartOrchestrationOptions {
  instanceId?: string;
  input?: unknown;
}

export interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: Date;
  lastUpdatedTime: Date;
  executionId: string;
  parentInstanceId?: string;
  history?: HistoryEvent[];
}

export interface InstanceQuery {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  instanceIdPrefix?: string;
}

export interface WaitForInstanceOptions {
  /** Default: Completed, Failed, Terminated. */
  statuses?: RuntimeStatus[];
  /** Real milliseconds; default 30 000. */
  timeoutMs?: number;
}

export interface DurableCounterSet {
  episodes: number;
  activityCalls: number;
  activityFailures: number;
  timersCreated: number;
  timersFired: number;
  /** Sum of the history length passed to every episode. */
  historyEventsReplayed: number;
  /** Longest history passed to one episode (per execution; continueAsNew starts a new one). */
  largestHistory: number;
  continuedAsNew: number;
}

export interface DurableCounters extends DurableCounterSet {
  orchestrationsStarted: number;
  orchestrationsCompleted: number;
  orchestrationsFailed: number;
  orchestrationsTerminated: number;
  /** Highest number of activities seen running at the same time. */
  peakConcurrentActivities: number;
  /** Highest number of orchestrator episodes seen running at the same time. */
  peakConcurrentEpisodes: number;
}

/** The JSON the `durableClient` input binding carries (what `df.getClient` reads). */
export interface DurableClientBindingData {
  taskHubName: string;
  creationUrls: { createNewInstancePostUri: string; createAndWaitOnNewInstancePostUri: string };
  managementUrls: {
    id: string;
    statusQueryGetUri: string;
    sendEventPostUri: string;
    terminatePostUri: string;
    rewindPostUri: string;
    purgeHistoryDeleteUri: string;
    restartPostUri: string;
    suspendPostUri: string;
    resumePostUri: string;
  };
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
  httpBaseUrl: string;
  maxGrpcMessageSizeInBytes: number;
  grpcHttpClientTimeout: string;
}

interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

type LeafKind = 'activity' | 'timer' | 'subOrchestration' | 'wait';

/** One action leaf the orchestrator produced, in order (compound WhenAny/WhenAll flattened). */
interface LeafRecord {
  index: number;
  actionType: number;
  kind: LeafKind;
  signature: string;
  name?: string;
  seq?: number;
  fireAt?: string;
  canceled?: boolean;
}

type TaskKind = 'activity' | 'timer' | 'subOrchestration' | 'retryTimer';

/** Something holding a sequence number: what completion events refer to by TaskScheduledId / TimerId. */
interface TaskRecord {
  seq: number;
  kind: TaskKind;
  leafIndex: number;
  name?: string;
  inputJson?: string;
  fireAt?: string;
  /** Long timers are split into chunks of longRunningTimerIntervalDuration; this is the real target. */
  finalFireAt?: string;
  retry?: RetryOptionsJson;
  /** 1-based attempt (activity/sub-orchestration) or the attempt that failed (retry timer). */
  attempt?: number;
  firstAttemptAt?: string;
  childInstanceId?: string;
  /** The orchestrator passed the sub-orchestration instance id (retries reuse it). */
  childInstanceIdExplicit?: boolean;
  /** For retry timers: what the next attempt schedules. */
  retryTarget?: 'activity' | 'subOrchestration';
  done: boolean;
}

interface InboxMessage {
  executionId: string;
  event: HistoryEvent;
}

interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  status: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  /** Input as JSON text (what ExecutionStarted.Input carries); undefined = no input. */
  inputJson?: string;
  output?: unknown;
  customStatus?: unknown;
  parent?: { instanceId: string; executionId: string; taskScheduledId: number };
  history: HistoryEvent[];
  inbox: InboxMessage[];
  leaves: LeafRecord[];
  tasks: Record<string, TaskRecord>;
  nextSeq: number;
  counters: DurableCounterSet;
}

interface ActivityWorkItem {
  instanceId: string;
  executionId: string;
  seq: number;
  name: string;
  inputJson?: string;
}

interface SideEffects {
  activities: ActivityWorkItem[];
  timers: TaskRecord[];
  children: Array<{ task: TaskRecord; inputJson?: string }>;
}

interface SerializedAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  retryOptions?: RetryOptionsJson;
  fireAt?: Date | string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: SerializedAction[];
}

interface OrchestratorStateLike {
  isDone: boolean;
  actions: SerializedAction[][];
  output?: unknown;
  customStatus?: unknown;
  error?: string;
}

const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';
const NON_DETERMINISTIC_PREFIX = 'Non-Deterministic workflow detected: ';
const CHANGED_CODE_HINT =
  'Was a change made to the orchestrator code after this instance had already started running?';

const ACTION = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

const ACTION_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ACTION).map(([k, v]) => [v, k]),
);

function newCounterSet(): DurableCounterSet {
  return {
    episodes: 0,
    activityCalls: 0,
    activityFailures: 0,
    timersCreated: 0,
    timersFired: 0,
    historyEventsReplayed: 0,
    largestHistory: 0,
    continuedAsNew: 0,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function parseJsonText(text: string | undefined): unknown {
  if (text === undefined || text === '') {
    return null;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function toJsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** durable-functions' Utils.processInput JSON-encodes string inputs; the extension decodes them again. */
function processedInputToJsonText(input: unknown): string | undefined {
  if (input === undefined) {
    return undefined;
  }
  if (typeof input === 'string') {
    try {
      JSON.parse(input);
      return input;
    } catch {
      return JSON.stringify(input);
    }
  }
  return JSON.stringify(input);
}

/** .NET TimeSpan text ("d.hh:mm:ss", "hh:mm:ss") or ISO-8601 duration to ms. */
function parseTimeSpanMs(text: string, what: string): number {
  const dotnet = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(text);
  if (dotnet) {
    const [, d, h, m, s, frac] = dotnet;
    return (
      (Number(d ?? 0) * 86400 + Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000 +
      (frac ? Math.round(Number(`0.${frac}`) * 1000) : 0)
    );
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

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return typeof error === 'string' ? error : JSON.stringify(error);
}

interface HostJsonDurableSettings {
  hubName?: string;
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
}

function readHostJson(
  file: string,
  appSettings: Record<string, string | undefined>,
): HostJsonDurableSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`DurableEngine: cannot read host.json at ${file}: ${(error as Error).message}`);
  }
  const durable = (parsed as { extensions?: { durableTask?: Record<string, unknown> } }).extensions
    ?.durableTask;
  if (durable === undefined) {
    return {};
  }
  const result: HostJsonDurableSettings = {};
  if (durable.hubName !== undefined) {
    if (typeof durable.hubName !== 'string') {
      throw new Error(`${file}: extensions.durableTask.hubName: expected a string`);
    }
    result.hubName = durable.hubName.replace(/%([^%]+)%/g, (_m, name: string) => {
      const value = appSettings[name];
      if (value === undefined) {
        throw new Error(
          `${file}: extensions.durableTask.hubName refers to app setting %${name}%, which is not set (pass it in appSettings or set taskHubName)`,
        );
      }
      return value;
    });
  }
  for (const key of ['maxConcurrentActivityFunctions', 'maxConcurrentOrchestratorFunctions'] as const) {
    const value = durable[key];
    if (value !== undefined) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new Error(
          `${file}: extensions.durableTask.${key}: expected an integer >= 1, got ${JSON.stringify(value)}`,
        );
      }
      result[key] = value;
    }
  }
  return result;
}

function validateLimit(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`DurableEngine: ${name} must be an integer >= 1, got ${value}`);
  }
  return value;
}

/**
 * A local Durable Functions back end: runs orchestrators through
 * durable-functions' own replay code (the handler `df.app.orchestration`
 * registers), keeps each instance's history in the extension's wire format,
 * carries out the actions the orchestrator returns (activities, retries,
 * timers, external events, sub-orchestrations, continueAsNew), checks replay
 * determinism, and serves the management HTTP API the real DurableClient uses.
 */
export class DurableEngine {
  readonly clock: Clock;
  readonly taskHubName: string;
  readonly maxConcurrentActivityFunctions: number;
  readonly maxConcurrentOrchestratorFunctions: number;
  readonly counters: DurableCounters = {
    ...newCounterSet(),
    orchestrationsStarted: 0,
    orchestrationsCompleted: 0,
    orchestrationsFailed: 0,
    orchestrationsTerminated: 0,
    peakConcurrentActivities: 0,
    peakConcurrentEpisodes: 0,
  };

  private readonly orchestrators = new Map<string, { name: string; handler: DurableFunctionHandler }>();
  private readonly activities = new Map<string, { name: string; handler: DurableFunctionHandler }>();
  /** Extra inputs an activity declared (a durableClient input gets the engine's client binding data). */
  private readonly activityInputs = new Map<string, FunctionInput[]>();
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly store?: InstanceStore<InstanceRecord>;
  private readonly logHandler: LogHandler;
  private readonly maxShortTimerMs: number;
  private readonly longTimerIntervalMs: number;
  private readonly maximumShortTimerDuration: string;
  private readonly longRunningTimerIntervalDuration: string;
  private readonly httpOptions: false | { port?: number; host?: string };
  private readonly webhookOriginOverride?: string;
  private httpApi?: DurableHttpApi;

  private readonly readyInstances: string[] = [];
  private readonly readySet = new Set<string>();
  private readonly runningEpisodes = new Set<string>();
  private readonly activityQueue: ActivityWorkItem[] = [];
  private runningActivities = 0;
  private readonly armedTimers = new Map<string, ClockTimer>();
  private busy = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly statusListeners = new Set<(record: InstanceRecord) => void>();
  private readonly timerFiredListeners = new Set<() => void>();
  private detachClock?: () => void;
  private started = false;
  private stopped = false;

  constructor(options: DurableEngineOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    const fromHost = options.hostJsonPath
      ? readHostJson(options.hostJsonPath, options.appSettings ?? {})
      : {};
    const hub = options.taskHubName ?? fromHost.hubName ?? 'TestHubName';
    if (!/^[A-Za-z][A-Za-z0-9]{2,49}$/.test(hub)) {
      throw new Error(
        `DurableEngine: task hub name "${hub}" is invalid: it must start with a letter, contain only letters and digits, and be 3-50 characters long`,
      );
    }
    this.taskHubName = hub;
    const cpuDefault = 10 * Math.max(1, os.availableParallelism());
    this.maxConcurrentActivityFunctions = validateLimit(
      options.maxConcurrentActivityFunctions ?? fromHost.maxConcurrentActivityFunctions ?? cpuDefault,
      'maxConcurrentActivityFunctions',
    );
    this.maxConcurrentOrchestratorFunctions = validateLimit(
      options.maxConcurrentOrchestratorFunctions ?? fromHost.maxConcurrentOrchestratorFunctions ?? cpuDefault,
      'maxConcurrentOrchestratorFunctions',
    );
    this.logHandler = options.logHandler ?? (() => undefined);
    this.maximumShortTimerDuration = options.maximumShortTimerDuration ?? '6.00:00:00';
    this.longRunningTimerIntervalDuration = options.longRunningTimerIntervalDuration ?? '3.00:00:00';
    this.maxShortTimerMs = parseTimeSpanMs(this.maximumShortTimerDuration, 'maximumShortTimerDuration');
    this.longTimerIntervalMs = parseTimeSpanMs(
      this.longRunningTimerIntervalDuration,
      'longRunningTimerIntervalDuration',
    );
    this.httpOptions = options.http === undefined ? { port: 0 } : options.http;
    this.webhookOriginOverride = options.webhookOrigin?.replace(/\/+$/, '');
    if (options.stateDir) {
      this.store = new InstanceStore<InstanceRecord>(options.stateDir, options.fsync ?? true);
    }
    if (this.clock instanceof VirtualClock) {
      this.detachClock = this.clock.attach(() => this.waitForIdle());
    }
  }

  // ---------------------------------------------------------------- registration

  /** `handler` is what `df.app.orchestration` gives app.generic: `(bindingInfo, context) => Promise<OrchestratorState>`. */
  registerOrchestration(name: string, handler: DurableFunctionHandler): void {
    this.register(this.orchestrators, 'orchestration', name, handler);
  }

  /**
   * `handler` is what `df.app.activity` gives app.generic: `(input, context) => Promise<result>`. `extraInputs`
   * as registered: a `durableClient` input is bound like the host binds it, so `df.getClient(context)` works.
   */
  registerActivity(name: string, handler: DurableFunctionHandler, extraInputs: FunctionInput[] = []): void {
    this.register(this.activities, 'activity', name, handler);
    if (extraInputs.length > 0) this.activityInputs.set(name.toLowerCase(), extraInputs);
  }

  /** Registers every orchestrationTrigger / activityTrigger function of a captured registry. Returns the names. */
  registerFromRegistry(registry: FunctionRegistry): { orchestrations: string[]; activities: string[] } {
    const result = { orchestrations: [] as string[], activities: [] as string[] };
    for (const registration of registry.list()) {
      if (registration.triggerType === 'orchestrationTrigger') {
        this.registerOrchestration(registration.name, registration.handler);
        result.orchestrations.push(registration.name);
      } else if (registration.triggerType === 'activityTrigger') {
        this.registerActivity(registration.name, registration.handler, registration.extraInputs);
        result.activities.push(registration.name);
      }
    }
    return result;
  }

  private register(
    map: Map<string, { name: string; handler: DurableFunctionHandler }>,
    kind: string,
    name: string,
    handler: DurableFunctionHandler,
  ): void {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new TypeError(`register ${kind}: name must be a non-empty string`);
    }
    if (typeof handler !== 'function') {
      throw new TypeError(`register ${kind} '${name}': handler must be a function`);
    }
    const key = name.toLowerCase();
    if (map.has(key)) {
      throw new Error(`register ${kind}: a function named '${name}' is already registered`);
    }
    map.set(key, { name, handler });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts the management API (unless `http: false`) and resumes persisted unfinished instances. */
  async start(): Promise<void> {
    if (this.started) {
      return;
    }
    this.started = true;
    if (this.httpOptions !== false) {
      this.httpApi = new DurableHttpApi(this);
      await this.httpApi.listen(this.httpOptions.port ?? 0, this.httpOptions.host ?? '127.0.0.1');
    }
    if (this.store) {
      for (const record of this.store.loadAll()) {
        if (!this.instances.has(record.instanceId)) {
          this.instances.set(record.instanceId, record);
        }
      }
    }
    for (const record of [...this.instances.values()]) {
      this.resume(record);
    }
  }

  /**
   * Stops dispatching: timers are disarmed, results of work still running are
   * dropped (as in a process crash, so persisted state stays as it was) and
   * the HTTP API closes. Does not wait for running activities.
   */
  async stop(): Promise<void> {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    for (const timer of this.armedTimers.values()) {
      timer.cancel();
    }
    this.armedTimers.clear();
    this.detachClock?.();
    this.activityQueue.length = 0;
    this.readyInstances.length = 0;
    this.readySet.clear();
    this.busy = 0;
    this.flushIdleWaiters();
    if (this.httpApi) {
      await this.httpApi.close();
    }
  }

  private resume(record: InstanceRecord): void {
    if (TERMINAL_STATUSES.includes(record.status)) {
      return;
    }
    // At-least-once: an activity scheduled but not completed (in history or inbox) runs again.
    const answered = new Set<number>();
    for (const message of record.inbox) {
      const id = message.event.TaskScheduledId ?? message.event.TimerId;
      if (id !== undefined) {
        answered.add(id);
      }
    }
    for (const task of Object.values(record.tasks)) {
      if (task.done || answered.has(task.seq)) {
        continue;
      }
      if (task.kind === 'activity') {
        this.enqueueActivity({
          instanceId: record.instanceId,
          executionId: record.executionId,
          seq: task.seq,
          name: task.name ?? '',
          inputJson: task.inputJson,
        });
      } else if (task.kind === 'timer' || task.kind === 'retryTimer') {
        const leaf = record.leaves[task.leafIndex];
        if (!(task.kind === 'timer' && leaf?.canceled)) {
          this.armTimer(record, task);
        }
      } else if (task.kind === 'subOrchestration') {
        // Stopped between recording the call and persisting the child: start it now.
        const child = task.childInstanceId ? this.instances.get(task.childInstanceId) : undefined;
        if (!child || child.parent?.executionId !== record.executionId) {
          this.startChild(record, task, task.inputJson);
        } else if (TERMINAL_STATUSES.includes(child.status)) {
          // Stopped between the child finishing and the parent hearing of it.
          this.notifyParent(child);
        }
      }
    }
    this.kick(record.instanceId);
  }

  // ---------------------------------------------------------------- client operations

  /** Starts (or replaces a finished) instance. Throws OrchestrationAlreadyExistsError while one is Pending/Running. */
  startNew(name: string, options: StartOrchestrationOptions = {}): string {
    return this.startNewFromJson(
      name,
      options.instanceId,
      options.input === undefined ? undefined : toJsonText(options.input),
    );
  }

  /** Like startNew with the input as JSON text (the HTTP API passes the request body through). */
  startNewFromJson(name: string, instanceId: string | undefined, inputJson: string | undefined): string {
    this.ensureRunning();
    const orchestrator = this.orchestrators.get(name.toLowerCase());
    if (!orchestrator) {
      const known = [...this.orchestrators.values()].map((o) => `'${o.name}'`).join(', ');
      throw new DurableNotFoundError(
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function. Additional info: the following are the known orchestrator functions: ${known || '(none)'}.`,
      );
    }
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    this.validateInstanceId(id);
    const existing = this.instances.get(id);
    if (existing && !TERMINAL_STATUSES.includes(existing.status)) {
      throw new OrchestrationAlreadyExistsError(
        `An Orchestration instance with the status ${existing.status} already exists.`,
      );
    }
    if (existing) {
      this.disarmInstanceTimers(existing);
    }
    const record = this.createRecord(orchestrator.name, id, inputJson, undefined);
    this.counters.orchestrationsStarted++;
    this.persist(record);
    this.notify(record);
    this.kick(id);
    return id;
  }

  private validateInstanceId(id: string): void {
    if (id.length === 0 || id.length > 256) {
      throw new RangeError(`Instance id must be 1-256 characters, got ${id.length}`);
    }
    if (/[/\\#?]/.test(id) || [...id].some((c) => c.charCodeAt(0) < 32)) {
      throw new RangeError(`Instance id "${id}" must not contain '/', '\\', '#', '?' or control characters`);
    }
  }

  private createRecord(
    name: string,
    instanceId: string,
    inputJson: string | undefined,
    parent: InstanceRecord['parent'],
  ): InstanceRecord {
    const now = iso(this.clock.now());
    const executionId = randomUUID();
    const record: InstanceRecord = {
      instanceId,
      name,
      executionId,
      status: 'Pending',
      createdTime: now,
      lastUpdatedTime: now,
      inputJson,
      output: undefined,
      customStatus: undefined,
      parent,
      history: [],
      inbox: [],
      leaves: [],
      tasks: {},
      nextSeq: 0,
      counters: newCounterSet(),
    };
    record.inbox.push({
      executionId,
      event: {
        EventType: HistoryEventType.ExecutionStarted,
        EventId: -1,
        IsPlayed: false,
        Timestamp: now,
        Name: name,
        Input: inputJson,
        Version: '',
        ParentInstance: parent
          ? { InstanceId: parent.instanceId, TaskScheduledId: parent.taskScheduledId, Name: name }
          : null,
      },
    });
    this.instances.set(instanceId, record);
    return record;
  }

  /** Delivers an external event; buffered in history if the orchestrator is not waiting for it yet. */
  raiseEvent(instanceId: string, eventName: string, data?: unknown): void {
    this.raiseEventFromJson(instanceId, eventName, data === undefined ? undefined : toJsonText(data));
  }

  raiseEventFromJson(instanceId: string, eventName: string, dataJson: string | undefined): void {
    this.ensureRunning();
    if (!eventName) {
      throw new RangeError('raiseEvent: eventName must be a non-empty string');
    }
    const record = this.requireInstance(instanceId);
    if (TERMINAL_STATUSES.includes(record.status)) {
      throw new DurableStateError(
        `Instance '${instanceId}' is ${record.status}; events can no longer be raised to it.`,
        410,
      );
    }
    this.deliver(record, record.executionId, {
      EventType: HistoryEventType.EventRaised,
      EventId: -1,
      IsPlayed: false,
      Timestamp: iso(this.clock.now()),
      Name: eventName,
      Input: dataJson,
    });
  }

  terminate(instanceId: string, reason?: string): void {
    this.ensureRunning();
    const record = this.requireInstance(instanceId);
    if (TERMINAL_STATUSES.includes(record.status)) {
      throw new DurableStateError(`Instance '${instanceId}' is already ${record.status}.`, 410);
    }
    const now = iso(this.clock.now());
    record.history.push({
      EventType: HistoryEventType.ExecutionTerminated,
      EventId: -1,
      IsPlayed: false,
      Timestamp: now,
      Input: reason === undefined ? undefined : toJsonText(reason),
    });
    record.inbox = [];
    record.output = reason ?? null;
    this.disarmInstanceTimers(record);
    this.setStatus(record, 'Terminated');
    this.counters.orchestrationsTerminated++;
    this.persist(record);
    this.notifyParent(record);
    this.notify(record);
  }

  /** Deletes a finished instance (Completed / Failed / Terminated). Returns false if there is none. */
  purge(instanceId: string): boolean {
    this.ensureRunning();
    const record = this.instances.get(instanceId);
    if (!record) {
      return false;
    }
    if (!TERMINAL_STATUSES.includes(record.status)) {
      throw new DurableStateError(
        `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${instanceId} has status ${record.status}`,
        412,
      );
    }
    this.instances.delete(instanceId);
    this.store?.delete(instanceId);
    return true;
  }

  /** Purges finished instances created in [from, to] (optionally only the given statuses). Returns the count. */
  purgeBy(from: Date, to: Date, statuses?: RuntimeStatus[]): number {
    let count = 0;
    for (const record of [...this.instances.values()]) {
      const created = Date.parse(record.createdTime);
      if (created < from.getTime() || created > to.getTime()) {
        continue;
      }
      if (!TERMINAL_STATUSES.includes(record.status)) {
        continue;
      }
      if (statuses && statuses.length > 0 && !statuses.includes(record.status)) {
        continue;
      }
      this.purge(record.instanceId);
      count++;
    }
    return count;
  }

  getStatus(
    instanceId: string,
    options: { showHistory?: boolean; showInput?: boolean } = {},
  ): InstanceStatus | undefined {
    const record = this.instances.get(instanceId);
    return record ? this.toStatus(record, options) : undefined;
  }

  /** History of the current execution in the extension's wire format (a copy). */
  getHistory(instanceId: string): HistoryEvent[] {
    const record = this.requireInstance(instanceId);
    return JSON.parse(JSON.stringify(record.history)) as HistoryEvent[];
  }

  listInstances(query: InstanceQuery = {}): InstanceStatus[] {
    const result: InstanceStatus[] = [];
    for (const record of this.instances.values()) {
      if (
        query.runtimeStatus &&
        query.runtimeStatus.length > 0 &&
        !query.runtimeStatus.includes(record.status)
      ) {
        continue;
      }
      const created = Date.parse(record.createdTime);
      if (query.createdTimeFrom && created < query.createdTimeFrom.getTime()) {
        continue;
      }
      if (query.createdTimeTo && created > query.createdTimeTo.getTime()) {
        continue;
      }
      if (query.instanceIdPrefix && !record.instanceId.startsWith(query.instanceIdPrefix)) {
        continue;
      }
      result.push(this.toStatus(record, { showInput: true }));
    }
    return result.sort(
      (a, b) => a.createdTime.getTime() - b.createdTime.getTime() || a.instanceId.localeCompare(b.instanceId),
    );
  }

  instanceCounters(instanceId: string): DurableCounterSet | undefined {
    const record = this.instances.get(instanceId);
    return record ? { ...record.counters } : undefined;
  }

  private toStatus(
    record: InstanceRecord,
    options: { showHistory?: boolean; showInput?: boolean },
  ): InstanceStatus {
    const status: InstanceStatus = {
      name: record.name,
      instanceId: record.instanceId,
      runtimeStatus: record.status,
      input: options.showInput === false ? null : parseJsonText(record.inputJson),
      output: record.output === undefined ? null : record.output,
      customStatus: record.customStatus === undefined ? null : record.customStatus,
      createdTime: new Date(record.createdTime),
      lastUpdatedTime: new Date(record.lastUpdatedTime),
      executionId: record.executionId,
      parentInstanceId: record.parent?.instanceId,
    };
    if (options.showHistory) {
      status.history = JSON.parse(JSON.stringify(record.history)) as HistoryEvent[];
    }
    return status;
  }

  private requireInstance(instanceId: string): InstanceRecord {
    const record = this.instances.get(instanceId);
    if (!record) {
      throw new DurableNotFoundError(`No instance with ID '${instanceId}' found.`);
    }
    return record;
  }

  private ensureRunning(): void {
    if (this.stopped) {
      throw new Error('DurableEngine is stopped');
    }
  }

  // ---------------------------------------------------------------- waiting helpers

  /** Resolves with the status once the instance reaches one of `statuses`; rejects after `timeoutMs` of real time. */
  waitForInstance(instanceId: string, options: WaitForInstanceOptions = {}): Promise<InstanceStatus> {
    const statuses = options.statuses ?? [...TERMINAL_STATUSES];
    const timeoutMs = options.timeoutMs ?? 30_000;
    const current = this.instances.get(instanceId);
    if (current && statuses.includes(current.status)) {
      return Promise.resolve(this.toStatus(current, {}));
    }
    return new Promise<InstanceStatus>((resolve, reject) => {
      const listener = (record: InstanceRecord): void => {
        if (record.instanceId === instanceId && statuses.includes(record.status)) {
          cleanup();
          resolve(this.toStatus(record, {}));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        const now = this.instances.get(instanceId);
        reject(
          new Error(
            `waitForInstance('${instanceId}'): not ${statuses.join('/')} after ${timeoutMs} ms (status: ${now?.status ?? 'no such instance'}${this.clock instanceof VirtualClock ? '; virtual clock: advance it or call engine.runUntilIdle()' : ''})`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.statusListeners.delete(listener);
      };
      this.statusListeners.add(listener);
    });
  }

  /** Resolves when no episode or activity is queued or running. */
  async waitForIdle(): Promise<void> {
    for (;;) {
      if (this.busy === 0) {
        // Let promise continuations that may enqueue more work run first.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.busy === 0) {
          return;
        }
      } else {
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      }
    }
  }

  /**
   * Runs until nothing is left to do: with a VirtualClock, jumps from timer to
   * timer (in order) until no durable timer is armed; with a RealClock, waits
   * for the armed timers to fire. Throws after `maxTimers` firings (an eternal
   * orchestration never gets idle: use clock.advance for those).
   */
  async runUntilIdle(options: { maxTimers?: number } = {}): Promise<void> {
    const maxTimers = options.maxTimers ?? 100_000;
    let fired = 0;
    for (;;) {
      await this.waitForIdle();
      if (this.armedTimers.size === 0 || this.stopped) {
        return;
      }
      if (fired++ >= maxTimers) {
        throw new Error(
          `runUntilIdle: still ${this.armedTimers.size} durable timer(s) armed after ${maxTimers} firings (eternal orchestration?); use clock.advance(ms) instead`,
        );
      }
      if (this.clock instanceof VirtualClock) {
        const earliest = Math.min(...[...this.armedTimers.values()].map((t) => t.dueAt));
        await this.clock.advanceTo(Math.max(earliest, this.clock.now()));
      } else {
        await new Promise<void>((resolve) => {
          const listener = (): void => {
            this.timerFiredListeners.delete(listener);
            resolve();
          };
          this.timerFiredListeners.add(listener);
        });
      }
    }
  }

  private addBusy(): void {
    this.busy++;
  }

  private releaseBusy(): void {
    this.busy = Math.max(0, this.busy - 1);
    if (this.busy === 0) {
      this.flushIdleWaiters();
    }
  }

  private flushIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) {
      waiter();
    }
  }

  // ---------------------------------------------------------------- HTTP / client binding

  /** Origin of the management API (`http://127.0.0.1:<port>`); throws before start() or with `http: false`. */
  get apiOrigin(): string {
    if (!this.httpApi) {
      throw new Error(
        'DurableEngine: the management HTTP API is not listening (call start(), and do not pass http: false)',
      );
    }
    return this.httpApi.origin;
  }

  /** `rpcBaseUrl` the durable client uses: `http://127.0.0.1:<port>/durabletask/`. */
  get rpcBaseUrl(): string {
    return `${this.apiOrigin}/durabletask/`;
  }

  /** The JSON the `durableClient` input binding carries (as the extension builds it). */
  clientBindingData(): DurableClientBindingData {
    const origin = this.webhookOriginOverride ?? this.apiOrigin;
    const base = `${origin}/runtime/webhooks/durabletask`;
    const query = `taskHub=${this.taskHubName}&connection=Storage`;
    const instance = `${base}/instances/INSTANCEID`;
    return {
      taskHubName: this.taskHubName,
      creationUrls: {
        createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]`,
        createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${instance}?${query}`,
        sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
        terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
        rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
        purgeHistoryDeleteUri: `${instance}?${query}`,
        restartPostUri: `${instance}/restart?${query}`,
        suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
        resumePostUri: `${instance}/resume?reason={text}&${query}`,
      },
      baseUrl: base,
      requiredQueryStringParameters: '',
      rpcBaseUrl: this.rpcBaseUrl,
      httpBaseUrl: base,
      maxGrpcMessageSizeInBytes: 0,
      grpcHttpClientTimeout: '00:01:40',
    };
  }

  /**
   * Request handler for `/runtime/webhooks/durabletask/...` and `/durabletask/...`
   * so a local Functions host can serve the webhooks on its own port.
   * Resolves false if the path is not a durable API path (nothing was written).
   */
  handleHttpRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const api = this.httpApi ?? new DurableHttpApi(this);
    return api.handle(req, res);
  }

  /** Status payload the way the extension's HTTP API serializes it. */
  managementPayload(instanceId: string, origin?: string): Record<string, string> {
    const data = this.clientBindingData().managementUrls;
    const result: Record<string, string> = {};
    for (const [key, value] of Object.entries(data)) {
      let url = value.replace(data.id, encodeURIComponent(instanceId));
      if (origin && key !== 'id') {
        url = url.replace(/^https?:\/\/[^/]+/, origin);
      }
      result[key] = key === 'id' ? instanceId : url;
    }
    return result;
  }

  // ---------------------------------------------------------------- scheduling

  private notify(record: InstanceRecord): void {
    for (const listener of [...this.statusListeners]) {
      listener(record);
    }
  }

  private setStatus(record: InstanceRecord, status: RuntimeStatus): void {
    record.status = status;
    record.lastUpdatedTime = iso(this.clock.now());
  }

  private persist(record: InstanceRecord): void {
    if (this.stopped) {
      return;
    }
    this.store?.save(record);
  }

  private deliver(record: InstanceRecord, executionId: string, event: HistoryEvent): void {
    if (this.stopped || record.executionId !== executionId || TERMINAL_STATUSES.includes(record.status)) {
      return;
    }
    record.inbox.push({ executionId, event });
    this.persist(record);
    this.kick(record.instanceId);
  }

  private kick(instanceId: string): void {
    if (this.stopped || !this.started) {
      return;
    }
    const record = this.instances.get(instanceId);
    if (!record || record.inbox.length === 0 || TERMINAL_STATUSES.includes(record.status)) {
      return;
    }
    if (this.readySet.has(instanceId) || this.runningEpisodes.has(instanceId)) {
      return;
    }
    this.readySet.add(instanceId);
    this.readyInstances.push(instanceId);
    this.addBusy();
    this.pump();
  }

  private pump(): void {
    while (
      !this.stopped &&
      this.runningEpisodes.size < this.maxConcurrentOrchestratorFunctions &&
      this.readyInstances.length > 0
    ) {
      const instanceId = this.readyInstances.shift() as string;
      this.readySet.delete(instanceId);
      this.runningEpisodes.add(instanceId);
      this.counters.peakConcurrentEpisodes = Math.max(
        this.counters.peakConcurrentEpisodes,
        this.runningEpisodes.size,
      );
      void this.runEpisodeSafely(instanceId);
    }
    while (
      !this.stopped &&
      this.runningActivities < this.maxConcurrentActivityFunctions &&
      this.activityQueue.length > 0
    ) {
      const item = this.activityQueue.shift() as ActivityWorkItem;
      this.runningActivities++;
      this.counters.peakConcurrentActivities = Math.max(
        this.counters.peakConcurrentActivities,
        this.runningActivities,
      );
      void this.runActivity(item);
    }
  }

  private async runEpisodeSafely(instanceId: string): Promise<void> {
    try {
      const record = this.instances.get(instanceId);
      if (record && !TERMINAL_STATUSES.includes(record.status) && record.inbox.length > 0) {
        await this.runEpisode(record);
      }
    } catch (error) {
      const record = this.instances.get(instanceId);
      if (record && !this.stopped && !TERMINAL_STATUSES.includes(record.status)) {
        this.failInstance(record, `DurableEngine internal error: ${errorMessage(error)}`);
      }
    } finally {
      this.runningEpisodes.delete(instanceId);
      if (!this.stopped) {
        this.kick(instanceId);
        this.pump();
      }
      this.releaseBusy();
    }
  }

  // ---------------------------------------------------------------- episodes

  /**
   * One episode: old history (IsPlayed) + OrchestratorStarted + new events.
   * A new event that makes the orchestrator library number a task of its own
   * (retry timer, retry attempt, next chunk of a long timer) goes alone into
   * its episode, so the host numbers it exactly where replay does.
   */
  private async runEpisode(record: InstanceRecord): Promise<void> {
    const nowMs = this.clock.now();
    const now = iso(nowMs);
    const executionId = record.executionId;
    record.inbox = record.inbox.filter((m) => m.executionId === executionId);
    const batch: HistoryEvent[] = [];
    const effects: SideEffects = { activities: [], timers: [], children: [] };
    let numberingEvent: HistoryEvent | undefined;
    for (const message of record.inbox) {
      const needsSequence = this.followUpFor(record, message.event, nowMs, true, effects) !== undefined;
      if (needsSequence && batch.length > 0) {
        break;
      }
      batch.push(message.event);
      if (needsSequence) {
        numberingEvent = message.event;
        break;
      }
    }
    if (batch.length === 0) {
      return;
    }
    if (record.status === 'Pending') {
      this.setStatus(record, 'Running');
      this.notify(record);
    }

    const episodeHistory: HistoryEvent[] = [
      ...record.history.map((e) => ({ ...e, IsPlayed: true })),
      { EventType: HistoryEventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: now },
      ...batch.map((e) => ({ ...e, IsPlayed: false })),
    ];
    this.counters.episodes++;
    record.counters.episodes++;
    this.counters.historyEventsReplayed += episodeHistory.length;
    record.counters.historyEventsReplayed += episodeHistory.length;
    this.counters.largestHistory = Math.max(this.counters.largestHistory, episodeHistory.length);
    record.counters.largestHistory = Math.max(record.counters.largestHistory, episodeHistory.length);

    // The record is persisted by deliveries while the orchestrator runs, so it
    // is only changed after this await, in one synchronous step up to persist.
    const outcome = await this.invokeOrchestrator(record, episodeHistory);
    if (this.stopped || record.executionId !== executionId || TERMINAL_STATUSES.includes(record.status)) {
      // Terminated (or replaced) while the episode ran: its decisions are discarded.
      return;
    }

    record.inbox = record.inbox.slice(batch.length);
    for (const event of batch) {
      if (event.TaskScheduledId !== undefined || event.TimerId !== undefined) {
        const task = record.tasks[String(event.TaskScheduledId ?? event.TimerId)];
        if (task) {
          task.done = true;
        }
      }
      if (event.EventType === HistoryEventType.TimerFired) {
        this.counters.timersFired++;
        record.counters.timersFired++;
      }
    }
    // Numbered before the orchestrator's new actions: replay numbers it while processing the event.
    const followUps = numberingEvent
      ? (this.followUpFor(record, numberingEvent, nowMs, false, effects) ?? [])
      : [];

    const committed: HistoryEvent[] = [
      ...record.history,
      { EventType: HistoryEventType.OrchestratorStarted, EventId: -1, IsPlayed: true, Timestamp: now },
      ...batch.map((e) => ({ ...e, IsPlayed: true })),
      ...followUps,
    ];

    if (outcome.kind === 'error') {
      record.history = committed;
      this.failInstance(record, outcome.message);
      return;
    }

    const state = outcome.state;
    let leaves: SerializedAction[];
    let continueAsNew: SerializedAction | undefined;
    try {
      ({ leaves, continueAsNew } = this.flattenActions(state.actions));
    } catch (error) {
      record.history = committed;
      this.failInstance(record, errorMessage(error));
      return;
    }

    const mismatch = this.checkDeterminism(record, leaves);
    if (mismatch) {
      record.history = committed;
      this.failInstance(record, NON_DETERMINISTIC_PREFIX + mismatch);
      return;
    }
    this.applyCancellations(record, leaves);

    for (let i = record.leaves.length; i < leaves.length; i++) {
      committed.push(...this.scheduleLeaf(record, leaves[i] as SerializedAction, i, nowMs, effects));
    }
    committed.push({
      EventType: HistoryEventType.OrchestratorCompleted,
      EventId: -1,
      IsPlayed: true,
      Timestamp: now,
    });
    record.history = committed;
    record.customStatus = state.customStatus;
    record.lastUpdatedTime = now;

    if (state.isDone && continueAsNew) {
      this.continueAsNew(record, continueAsNew);
      return;
    }
    if (state.isDone && !this.hasOutstandingTimers(record)) {
      this.completeInstance(record, state.output);
      return;
    }
    // Still running (or done but waiting on uncancelled timers, as the extension does).
    this.persist(record);
    this.applyEffects(record, effects);
  }

  private async invokeOrchestrator(
    record: InstanceRecord,
    history: HistoryEvent[],
  ): Promise<{ kind: 'state'; state: OrchestratorStateLike } | { kind: 'error'; message: string }> {
    const orchestrator = this.orchestrators.get(record.name.toLowerCase());
    if (!orchestrator) {
      return {
        kind: 'error',
        message: `The orchestrator function '${record.name}' is not registered with the durable engine.`,
      };
    }
    const bindingInfo = {
      history: JSON.parse(JSON.stringify(history)) as HistoryEvent[],
      input: parseJsonText(record.inputJson),
      instanceId: record.instanceId,
      isReplaying: record.history.length > 0,
      parentInstanceId: record.parent?.instanceId ?? '',
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      longRunningTimerIntervalDuration: this.longRunningTimerIntervalDuration,
      maximumShortTimerDuration: this.maximumShortTimerDuration,
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    const context = new df.DummyOrchestrationContext(orchestrator.name, randomUUID(), this.logHandler);
    try {
      const result = (await orchestrator.handler(bindingInfo, context)) as OrchestratorStateLike | undefined;
      if (!result || typeof result !== 'object' || !Array.isArray(result.actions)) {
        return {
          kind: 'error',
          message: `Orchestrator function '${record.name}' did not return an orchestrator state; is it registered with df.app.orchestration?`,
        };
      }
      return { kind: 'state', state: result };
    } catch (error) {
      return {
        kind: 'error',
        message: `Orchestrator function '${record.name}' failed: ${this.orchestratorErrorMessage(error)}`,
      };
    }
  }

  /**
   * OrchestrationFailureError's message is `<x>$OutOfProcData$:<state JSON>`;
   * durable-functions 3.x passes a boolean as <x>, so the real message is the state's `error`.
   */
  private orchestratorErrorMessage(error: unknown): string {
    const raw = errorMessage(error);
    const labelAt = raw.indexOf(OUT_OF_PROC_LABEL);
    if (labelAt < 0) {
      return raw;
    }
    try {
      const state = JSON.parse(raw.slice(labelAt + OUT_OF_PROC_LABEL.length)) as { error?: unknown };
      if (typeof state.error === 'string') {
        return state.error;
      }
    } catch {
      // fall back to the text before the label
    }
    return raw.slice(0, labelAt);
  }

  private flattenActions(actions: SerializedAction[][]): {
    leaves: SerializedAction[];
    continueAsNew?: SerializedAction;
  } {
    const leaves: SerializedAction[] = [];
    const seen = new Set<SerializedAction>();
    let continueAsNew: SerializedAction | undefined;
    const visit = (action: SerializedAction): void => {
      if (action.actionType === ACTION.WhenAll || action.actionType === ACTION.WhenAny) {
        for (const child of action.compoundActions ?? []) {
          visit(child);
        }
        return;
      }
      // A task yielded again inside Task.any/all is the same action object: it was numbered once.
      if (seen.has(action)) {
        return;
      }
      seen.add(action);
      switch (action.actionType) {
        case ACTION.CallActivity:
        case ACTION.CallActivityWithRetry:
        case ACTION.CallSubOrchestrator:
        case ACTION.CallSubOrchestratorWithRetry:
        case ACTION.CreateTimer:
        case ACTION.WaitForExternalEvent:
          leaves.push(action);
          return;
        case ACTION.ContinueAsNew:
          continueAsNew = action;
          return;
        default:
          throw new Error(
            `The local durable engine does not support ${ACTION_NAMES[action.actionType] ?? `action type ${action.actionType}`} actions (entities and callHttp are not implemented).`,
          );
      }
    };
    for (const group of actions) {
      for (const action of group) {
        visit(action);
      }
    }
    return { leaves, continueAsNew };
  }

  private leafKind(action: SerializedAction): LeafKind {
    switch (action.actionType) {
      case ACTION.CallActivity:
      case ACTION.CallActivityWithRetry:
        return 'activity';
      case ACTION.CallSubOrchestrator:
      case ACTION.CallSubOrchestratorWithRetry:
        return 'subOrchestration';
      case ACTION.CreateTimer:
        return 'timer';
      default:
        return 'wait';
    }
  }

  private signature(action: SerializedAction): string {
    switch (this.leafKind(action)) {
      case 'activity':
        return `activity|${action.actionType}|${action.functionName}|${processedInputToJsonText(action.input) ?? ''}`;
      case 'subOrchestration':
        return `sub|${action.actionType}|${action.functionName}|${action.instanceId ?? ''}|${action.input === undefined ? '' : toJsonText(action.input)}`;
      case 'timer':
        return `timer|${this.fireAtIso(action)}`;
      default:
        return `wait|${action.externalEventName}`;
    }
  }

  private fireAtIso(action: SerializedAction): string {
    const fireAt = action.fireAt instanceof Date ? action.fireAt : new Date(String(action.fireAt));
    return fireAt.toISOString();
  }

  private describeLeaf(leaf: LeafRecord): string {
    switch (leaf.kind) {
      case 'activity':
        return `an activity task with sequence number ${leaf.seq} named '${leaf.name}'`;
      case 'subOrchestration':
        return `a sub-orchestration with sequence number ${leaf.seq} named '${leaf.name}'`;
      case 'timer':
        return `a timer task with sequence number ${leaf.seq} firing at ${leaf.fireAt}`;
      default:
        return `a wait for external event '${leaf.name}'`;
    }
  }

  private describeAction(action: SerializedAction): string {
    switch (this.leafKind(action)) {
      case 'activity':
        return `a ScheduleTaskOrchestratorAction for activity '${action.functionName}' with input ${processedInputToJsonText(action.input) ?? 'undefined'}`;
      case 'subOrchestration':
        return `a CreateSubOrchestrationAction for '${action.functionName}'`;
      case 'timer':
        return `a CreateTimerOrchestratorAction firing at ${this.fireAtIso(action)}`;
      default:
        return `a wait for external event '${action.externalEventName}'`;
    }
  }

  private checkDeterminism(record: InstanceRecord, leaves: SerializedAction[]): string | undefined {
    for (const recorded of record.leaves) {
      const action = leaves[recorded.index];
      if (!action) {
        return `A previous execution of this orchestration scheduled ${this.describeLeaf(recorded)}, but the current replay execution hasn't (yet?) scheduled this task. ${CHANGED_CODE_HINT}`;
      }
      if (this.signature(action) !== recorded.signature) {
        return `A previous execution of this orchestration scheduled ${this.describeLeaf(recorded)}, but the current orchestration replay instead produced ${this.describeAction(action)}. ${CHANGED_CODE_HINT}`;
      }
    }
    return undefined;
  }

  private applyCancellations(record: InstanceRecord, leaves: SerializedAction[]): void {
    for (const recorded of record.leaves) {
      const action = leaves[recorded.index];
      if (recorded.kind === 'timer' && action?.isCanceled && !recorded.canceled) {
        recorded.canceled = true;
        for (const task of Object.values(record.tasks)) {
          if (task.leafIndex === recorded.index && task.kind === 'timer' && !task.done) {
            this.disarmTimer(record, task.seq);
          }
        }
      }
    }
  }

  private hasOutstandingTimers(record: InstanceRecord): boolean {
    return Object.values(record.tasks).some(
      (task) => task.kind === 'timer' && !task.done && !record.leaves[task.leafIndex]?.canceled,
    );
  }

  /** History events for a new leaf action, with the side effects they call for. */
  private scheduleLeaf(
    record: InstanceRecord,
    action: SerializedAction,
    index: number,
    nowMs: number,
    effects: SideEffects,
  ): HistoryEvent[] {
    const kind = this.leafKind(action);
    const leaf: LeafRecord = {
      index,
      actionType: action.actionType,
      kind,
      signature: this.signature(action),
      name: kind === 'wait' ? action.externalEventName : action.functionName,
    };
    record.leaves.push(leaf);
    const now = iso(nowMs);
    if (kind === 'wait') {
      return [];
    }
    const seq = record.nextSeq++;
    leaf.seq = seq;
    if (kind === 'activity') {
      const task: TaskRecord = {
        seq,
        kind: 'activity',
        leafIndex: index,
        name: action.functionName,
        inputJson: processedInputToJsonText(action.input),
        done: false,
      };
      if (action.actionType === ACTION.CallActivityWithRetry) {
        task.retry = action.retryOptions;
        task.attempt = 1;
        task.firstAttemptAt = now;
      }
      record.tasks[String(seq)] = task;
      effects.activities.push(this.activityItem(record, task));
      return [this.taskScheduledEvent(task, now)];
    }
    if (kind === 'subOrchestration') {
      const task: TaskRecord = {
        seq,
        kind: 'subOrchestration',
        leafIndex: index,
        name: action.functionName,
        inputJson: action.input === undefined ? undefined : toJsonText(action.input),
        childInstanceId: action.instanceId ?? `${record.instanceId}:${seq}`,
        childInstanceIdExplicit: action.instanceId !== undefined,
        done: false,
      };
      if (action.actionType === ACTION.CallSubOrchestratorWithRetry) {
        task.retry = action.retryOptions;
        task.attempt = 1;
        task.firstAttemptAt = now;
      }
      record.tasks[String(seq)] = task;
      effects.children.push({ task, inputJson: task.inputJson });
      return [this.subOrchestrationCreatedEvent(task, now)];
    }
    // Timer: the library splits timers longer than maximumShortTimerDuration into chunks.
    const finalFireAt = this.fireAtIso(action);
    leaf.fireAt = finalFireAt;
    const chunkFireAt = this.nextChunkFireAt(Date.parse(finalFireAt), nowMs);
    const task: TaskRecord = {
      seq,
      kind: 'timer',
      leafIndex: index,
      fireAt: iso(chunkFireAt),
      finalFireAt,
      done: false,
    };
    record.tasks[String(seq)] = task;
    if (action.isCanceled) {
      leaf.canceled = true;
    } else {
      effects.timers.push(task);
    }
    this.counters.timersCreated++;
    record.counters.timersCreated++;
    return [this.timerCreatedEvent(task, now)];
  }

  private nextChunkFireAt(finalMs: number, nowMs: number): number {
    return finalMs - nowMs > this.maxShortTimerMs ? nowMs + this.longTimerIntervalMs : finalMs;
  }

  /**
   * For a new event, the task the orchestrator library will number while
   * processing it (retry timer after a failed attempt, next attempt after a
   * retry timer, next chunk of a long timer), as history events. `dryRun`
   * only answers whether there is one.
   */
  private followUpFor(
    record: InstanceRecord,
    event: HistoryEvent,
    nowMs: number,
    dryRun: boolean,
    effects: SideEffects,
  ): HistoryEvent[] | undefined {
    const id = event.TaskScheduledId ?? event.TimerId;
    if (id === undefined) {
      return undefined;
    }
    const task = record.tasks[String(id)];
    if (!task) {
      return undefined;
    }
    const now = iso(nowMs);
    const failed =
      event.EventType === HistoryEventType.TaskFailed ||
      event.EventType === HistoryEventType.SubOrchestrationInstanceFailed;
    if (failed && task.retry && (task.kind === 'activity' || task.kind === 'subOrchestration')) {
      const delay = this.retryDelayMs(task, nowMs);
      if (delay <= 0) {
        // DurableTask.Core stops retrying without a timer; durable-functions 3.x then waits for one that never comes.
        this.logHandler(
          'warning',
          `Retry of '${task.name}' in instance '${record.instanceId}' stopped by retryTimeoutInMilliseconds: like the extension, no retry timer is created, and durable-functions 3.x waits for one, so the instance stays Running.`,
        );
        return undefined;
      }
      if (dryRun) {
        return [];
      }
      const timer: TaskRecord = {
        seq: record.nextSeq++,
        kind: 'retryTimer',
        leafIndex: task.leafIndex,
        fireAt: iso(nowMs + delay),
        retry: task.retry,
        attempt: task.attempt,
        firstAttemptAt: task.firstAttemptAt,
        name: task.name,
        inputJson: task.inputJson,
        childInstanceId: task.kind === 'subOrchestration' ? task.childInstanceId : undefined,
        childInstanceIdExplicit: task.childInstanceIdExplicit,
        retryTarget: task.kind,
        done: false,
      };
      record.tasks[String(timer.seq)] = timer;
      effects.timers.push(timer);
      this.counters.timersCreated++;
      record.counters.timersCreated++;
      return [this.timerCreatedEvent(timer, now)];
    }
    if (event.EventType === HistoryEventType.TimerFired && task.kind === 'retryTimer') {
      const failedAttempt = task.attempt ?? 1;
      if (!task.retry || failedAttempt >= task.retry.maxNumberOfAttempts) {
        return undefined; // the library now fails the task with the last error
      }
      if (dryRun) {
        return [];
      }
      const retried: TaskRecord = {
        seq: record.nextSeq++,
        kind: task.retryTarget === 'subOrchestration' ? 'subOrchestration' : 'activity',
        leafIndex: task.leafIndex,
        name: task.name,
        inputJson: task.inputJson,
        retry: task.retry,
        attempt: failedAttempt + 1,
        firstAttemptAt: task.firstAttemptAt,
        done: false,
      };
      record.tasks[String(retried.seq)] = retried;
      if (retried.kind === 'activity') {
        effects.activities.push(this.activityItem(record, retried));
        return [this.taskScheduledEvent(retried, now)];
      }
      retried.childInstanceIdExplicit = task.childInstanceIdExplicit;
      retried.childInstanceId = task.childInstanceIdExplicit
        ? task.childInstanceId
        : `${record.instanceId}:${retried.seq}`;
      effects.children.push({ task: retried, inputJson: retried.inputJson });
      return [this.subOrchestrationCreatedEvent(retried, now)];
    }
    if (event.EventType === HistoryEventType.TimerFired && task.kind === 'timer' && task.finalFireAt) {
      const finalMs = Date.parse(task.finalFireAt);
      if (finalMs <= nowMs || Date.parse(task.fireAt ?? task.finalFireAt) >= finalMs) {
        return undefined;
      }
      if (dryRun) {
        return [];
      }
      const chunk: TaskRecord = {
        seq: record.nextSeq++,
        kind: 'timer',
        leafIndex: task.leafIndex,
        fireAt: iso(this.nextChunkFireAt(finalMs, nowMs)),
        finalFireAt: task.finalFireAt,
        done: false,
      };
      record.tasks[String(chunk.seq)] = chunk;
      if (!record.leaves[task.leafIndex]?.canceled) {
        effects.timers.push(chunk);
      }
      this.counters.timersCreated++;
      record.counters.timersCreated++;
      return [this.timerCreatedEvent(chunk, now)];
    }
    return undefined;
  }

  /** DurableTask.Core RetryInterceptor.ComputeNextDelay for the attempt that just failed. */
  private retryDelayMs(task: TaskRecord, nowMs: number): number {
    const retry = task.retry;
    if (!retry) {
      return 0;
    }
    const firstAttempt = Date.parse(task.firstAttemptAt ?? iso(nowMs));
    if (retry.retryTimeoutInMilliseconds !== undefined && retry.retryTimeoutInMilliseconds !== null) {
      if (!(nowMs < firstAttempt + retry.retryTimeoutInMilliseconds)) {
        return 0;
      }
    }
    const retryCount = (task.attempt ?? 1) - 1;
    const coefficient = retry.backoffCoefficient ?? 1;
    const delay = retry.firstRetryIntervalInMilliseconds * Math.pow(coefficient, retryCount);
    const max = retry.maxRetryIntervalInMilliseconds;
    return max !== undefined && max !== null && !(delay < max) ? max : delay;
  }

  private taskScheduledEvent(task: TaskRecord, now: string): HistoryEvent {
    return {
      EventType: HistoryEventType.TaskScheduled,
      EventId: task.seq,
      IsPlayed: true,
      Timestamp: now,
      Name: task.name,
      Input: task.inputJson,
    };
  }

  private subOrchestrationCreatedEvent(task: TaskRecord, now: string): HistoryEvent {
    return {
      EventType: HistoryEventType.SubOrchestrationInstanceCreated,
      EventId: task.seq,
      IsPlayed: true,
      Timestamp: now,
      Name: task.name,
      InstanceId: task.childInstanceId,
      Input: task.inputJson,
    };
  }

  private timerCreatedEvent(task: TaskRecord, now: string): HistoryEvent {
    return {
      EventType: HistoryEventType.TimerCreated,
      EventId: task.seq,
      IsPlayed: true,
      Timestamp: now,
      FireAt: task.fireAt,
    };
  }

  private activityItem(record: InstanceRecord, task: TaskRecord): ActivityWorkItem {
    return {
      instanceId: record.instanceId,
      executionId: record.executionId,
      seq: task.seq,
      name: task.name ?? '',
      inputJson: task.inputJson,
    };
  }

  private applyEffects(record: InstanceRecord, effects: SideEffects): void {
    for (const item of effects.activities) {
      this.enqueueActivity(item);
    }
    for (const task of effects.timers) {
      this.armTimer(record, task);
    }
    for (const child of effects.children) {
      this.startChild(record, child.task, child.inputJson);
    }
  }

  // ---------------------------------------------------------------- outcomes

  private completeInstance(record: InstanceRecord, output: unknown): void {
    record.output = output === undefined ? null : (JSON.parse(toJsonText(output)) as unknown);
    record.history.push({
      EventType: HistoryEventType.ExecutionCompleted,
      EventId: -1,
      IsPlayed: true,
      Timestamp: iso(this.clock.now()),
      Result: toJsonText(record.output),
      OrchestrationStatus: 'Completed',
    });
    this.disarmInstanceTimers(record);
    this.setStatus(record, 'Completed');
    this.counters.orchestrationsCompleted++;
    this.persist(record);
    this.notifyParent(record);
    this.notify(record);
  }

  private failInstance(record: InstanceRecord, message: string): void {
    record.output = message;
    record.history.push({
      EventType: HistoryEventType.ExecutionCompleted,
      EventId: -1,
      IsPlayed: true,
      Timestamp: iso(this.clock.now()),
      Result: message,
      OrchestrationStatus: 'Failed',
      FailureDetails: { ErrorType: 'OrchestrationFailureException', ErrorMessage: message },
    });
    record.inbox = [];
    this.disarmInstanceTimers(record);
    this.setStatus(record, 'Failed');
    this.counters.orchestrationsFailed++;
    this.persist(record);
    this.notifyParent(record);
    this.notify(record);
  }

  private continueAsNew(record: InstanceRecord, action: SerializedAction): void {
    // External events the finished execution received but never consumed are carried over.
    const carried = this.unconsumedEvents(record);
    this.disarmInstanceTimers(record);
    this.setStatus(record, 'ContinuedAsNew');
    this.notify(record);
    this.counters.continuedAsNew++;
    record.counters.continuedAsNew++;
    const inputJson = processedInputToJsonText(action.input);
    const executionId = randomUUID();
    const now = iso(this.clock.now());
    record.executionId = executionId;
    record.inputJson = inputJson;
    record.history = [];
    record.leaves = [];
    record.tasks = {};
    record.nextSeq = 0;
    record.output = undefined;
    record.inbox = [
      {
        executionId,
        event: {
          EventType: HistoryEventType.ExecutionStarted,
          EventId: -1,
          IsPlayed: false,
          Timestamp: now,
          Name: record.name,
          Input: inputJson,
          Version: '',
          ParentInstance: record.parent
            ? {
                InstanceId: record.parent.instanceId,
                TaskScheduledId: record.parent.taskScheduledId,
                Name: record.name,
              }
            : null,
        },
      },
      ...carried.map((event) => ({ executionId, event: { ...event, IsPlayed: false } })),
      ...record.inbox
        .filter((m) => m.event.EventType === HistoryEventType.EventRaised)
        .map((m) => ({ executionId, event: m.event })),
    ];
    this.setStatus(record, 'Running');
    this.persist(record);
    this.notify(record);
  }

  private unconsumedEvents(record: InstanceRecord): HistoryEvent[] {
    const waits = new Map<string, number>();
    for (const leaf of record.leaves) {
      if (leaf.kind === 'wait' && leaf.name) {
        waits.set(leaf.name, (waits.get(leaf.name) ?? 0) + 1);
      }
    }
    const raised = record.history.filter((e) => e.EventType === HistoryEventType.EventRaised);
    const carried: HistoryEvent[] = [];
    const remainingWaits = new Map(waits);
    for (const event of raised) {
      const name = event.Name ?? '';
      const left = remainingWaits.get(name) ?? 0;
      if (left > 0) {
        remainingWaits.set(name, left - 1);
      } else {
        carried.push(event);
      }
    }
    return carried;
  }

  private notifyParent(record: InstanceRecord): void {
    if (!record.parent) {
      return;
    }
    const parent = this.instances.get(record.parent.instanceId);
    if (!parent) {
      return;
    }
    const now = iso(this.clock.now());
    const event: HistoryEvent =
      record.status === 'Completed'
        ? {
            EventType: HistoryEventType.SubOrchestrationInstanceCompleted,
            EventId: -1,
            IsPlayed: false,
            Timestamp: now,
            TaskScheduledId: record.parent.taskScheduledId,
            Result: toJsonText(record.output),
          }
        : {
            EventType: HistoryEventType.SubOrchestrationInstanceFailed,
            EventId: -1,
            IsPlayed: false,
            Timestamp: now,
            TaskScheduledId: record.parent.taskScheduledId,
            Reason:
              record.status === 'Terminated'
                ? `Sub orchestrator function '${record.name}' was terminated: ${String(record.output)}`
                : String(record.output),
            Details: JSON.stringify({ $type: 'System.Exception', Message: String(record.output) }),
          };
    this.deliver(parent, record.parent.executionId, event);
  }

  private startChild(parent: InstanceRecord, task: TaskRecord, inputJson: string | undefined): void {
    const childId = task.childInstanceId ?? `${parent.instanceId}:${task.seq}`;
    const orchestrator = task.name ? this.orchestrators.get(task.name.toLowerCase()) : undefined;
    const existing = this.instances.get(childId);
    const failTask = (reason: string): void =>
      this.deliver(parent, parent.executionId, {
        EventType: HistoryEventType.SubOrchestrationInstanceFailed,
        EventId: -1,
        IsPlayed: false,
        Timestamp: iso(this.clock.now()),
        TaskScheduledId: task.seq,
        Reason: reason,
        Details: JSON.stringify({ $type: 'System.ArgumentException', Message: reason }),
      });
    if (!orchestrator) {
      failTask(`The function '${task.name}' doesn't exist, is disabled, or is not an orchestrator function.`);
      return;
    }
    if (existing && !TERMINAL_STATUSES.includes(existing.status)) {
      failTask(`An Orchestration instance with the status ${existing.status} already exists.`);
      return;
    }
    const child = this.createRecord(orchestrator.name, childId, inputJson, {
      instanceId: parent.instanceId,
      executionId: parent.executionId,
      taskScheduledId: task.seq,
    });
    this.counters.orchestrationsStarted++;
    this.persist(child);
    this.notify(child);
    this.kick(childId);
  }

  // ---------------------------------------------------------------- timers

  private timerKey(record: InstanceRecord, seq: number): string {
    return `${record.instanceId}\u0000${record.executionId}\u0000${seq}`;
  }

  private armTimer(record: InstanceRecord, task: TaskRecord): void {
    if (this.stopped) {
      return;
    }
    const key = this.timerKey(record, task.seq);
    if (this.armedTimers.has(key)) {
      return;
    }
    const instanceId = record.instanceId;
    const executionId = record.executionId;
    const dueAt = Date.parse(task.fireAt ?? '');
    const timer = this.clock.setTimer(dueAt, () => {
      this.armedTimers.delete(key);
      const current = this.instances.get(instanceId);
      if (current && current.executionId === executionId) {
        this.deliver(current, executionId, {
          EventType: HistoryEventType.TimerFired,
          EventId: -1,
          IsPlayed: false,
          Timestamp: iso(this.clock.now()),
          TimerId: task.seq,
          FireAt: task.fireAt,
        });
      }
      for (const listener of [...this.timerFiredListeners]) {
        listener();
      }
    });
    this.armedTimers.set(key, timer);
  }

  private disarmTimer(record: InstanceRecord, seq: number): void {
    const key = this.timerKey(record, seq);
    this.armedTimers.get(key)?.cancel();
    this.armedTimers.delete(key);
  }

  private disarmInstanceTimers(record: InstanceRecord): void {
    for (const task of Object.values(record.tasks)) {
      if (task.kind === 'timer' || task.kind === 'retryTimer') {
        this.disarmTimer(record, task.seq);
      }
    }
  }

  // ---------------------------------------------------------------- activities

  private enqueueActivity(item: ActivityWorkItem): void {
    if (this.stopped) {
      return;
    }
    this.addBusy();
    this.activityQueue.push(item);
    this.pump();
  }

  private async runActivity(item: ActivityWorkItem): Promise<void> {
    this.counters.activityCalls++;
    const record = this.instances.get(item.instanceId);
    if (record && record.executionId === item.executionId) {
      record.counters.activityCalls++;
    }
    const activity = this.activities.get(item.name.toLowerCase());
    let event: HistoryEvent;
    const base = { EventId: -1, IsPlayed: false, TaskScheduledId: item.seq };
    try {
      if (!activity) {
        throw new Error(
          `The function '${item.name}' doesn't exist, is disabled, or is not an activity function.`,
        );
      }
      const context = this.createActivityContext(activity.name, item);
      const result: unknown = await activity.handler(parseJsonText(item.inputJson), context);
      event = {
        ...base,
        EventType: HistoryEventType.TaskCompleted,
        Timestamp: iso(this.clock.now()),
        Result: toJsonText(result),
      };
    } catch (error) {
      this.counters.activityFailures++;
      if (record && record.executionId === item.executionId) {
        record.counters.activityFailures++;
      }
      event = {
        ...base,
        EventType: HistoryEventType.TaskFailed,
        Timestamp: iso(this.clock.now()),
        ...this.activityFailure(item.name, error),
      };
    } finally {
      this.runningActivities--;
    }
    if (!this.stopped) {
      const current = this.instances.get(item.instanceId);
      if (current) {
        this.deliver(current, item.executionId, event);
      }
      this.pump();
      this.releaseBusy();
    }
  }

  private createActivityContext(name: string, item: ActivityWorkItem): InvocationContext {
    const init: InvocationContextInit = {
      invocationId: randomUUID(),
      functionName: name,
      logHandler: this.logHandler,
      triggerMetadata: { instanceId: item.instanceId },
      options: {
        trigger: { type: 'activityTrigger', name: `${name}Trigger` },
        extraInputs: this.activityInputs.get(name.toLowerCase()) ?? [],
        extraOutputs: [],
      },
    };
    const context = new InvocationContext(init);
    for (const input of init.options?.extraInputs ?? []) {
      if (input.type === 'durableClient' || input.type === 'orchestrationClient')
        context.extraInputs.set(input, this.clientBindingData());
    }
    return context;
  }

  /** TaskFailed fields the way the extension reports a failed JavaScript activity. */
  private activityFailure(
    name: string,
    error: unknown,
  ): { Reason: string; Details: string; FailureDetails: FailureDetailsPayload | null } {
    const message = errorMessage(error);
    // With an ExceptionPropertiesProvider registered, durable-functions puts failure-details JSON in the message.
    try {
      const parsed = JSON.parse(message) as { errorType?: unknown; errorMessage?: unknown };
      if (parsed && typeof parsed.errorType === 'string' && typeof parsed.errorMessage === 'string') {
        const details = parsed as {
          errorType: string;
          errorMessage: string;
          stackTrace?: string;
          isNonRetriable?: boolean;
          properties?: Record<string, unknown>;
        };
        return {
          Reason: `Activity function '${name}' failed: ${details.errorMessage}`,
          Details: message,
          FailureDetails: {
            ErrorType: details.errorType,
            ErrorMessage: details.errorMessage,
            StackTrace: details.stackTrace,
            IsNonRetriable: details.isNonRetriable ?? false,
            Properties: details.properties,
          },
        };
      }
    } catch {
      // not failure-details JSON
    }
    return {
      Reason: `Activity function '${name}' failed: ${message}`,
      Details: JSON.stringify({
        $type: 'System.Exception',
        Message: message,
        StackTrace: error instanceof Error ? error.stack : undefined,
      }),
      FailureDetails: null,
    };
  }
}
