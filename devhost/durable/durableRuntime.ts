import type { FunctionInput } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { FunctionRegistry } from '../registrations/captureRegistrations';
import { ActivityRunner } from './activityRunner';
import { RealClock, VirtualClock } from './clock';
import type { Clock } from './clock';
import { DurableNotFoundError } from './durableErrors';
import type { RuntimeStatus } from './durableErrors';
import { DurableTimers } from './durableTimers';
import { newCounters } from './durableTypes';
import type {
  DurableCounterSet,
  DurableCounters,
  DurableFunctionHandler,
  InstanceQuery,
  InstanceStatus,
  StartOrchestrationOptions,
  WaitForInstanceOptions,
} from './durableTypes';
import { resolveEngineSettings, type DurableEngineOptions } from './engineSettings';
import type { EntityRecord } from './entityRecord';
import { EntityRunner } from './entityRunner';
import { EpisodeRunner } from './episodeRunner';
import { FunctionCatalog } from './functionCatalog';
import type { HistoryEvent } from './historyEvent';
import { timerFiredEvent } from './historyEventBuilders';
import { InstanceFileStore } from './instanceFileStore';
import type { IndexKey } from './instanceIndex';
import { InstanceOutcomes } from './instanceOutcomes';
import type { InstanceRecord } from './instanceRecord';
import { InstanceStore } from './instanceStore';
import { iso, parseJsonText, toJsonText } from './jsonText';
import { OrchestrationLifecycle } from './orchestrationLifecycle';
import { TaskPlanner } from './taskPlanner';
import { WorkScheduler } from './workScheduler';

/**
 * A local Durable Functions back end without its HTTP face: runs orchestrators through durable-functions'
 * own replay code, keeps each instance's history in the extension's wire format, carries out the actions
 * the orchestrator returns (entity calls and signals included), runs Durable Entities through
 * durable-functions' entity code and checks replay determinism. Composes the pieces that do each part.
 */
export class DurableRuntime {
  readonly clock: Clock;
  readonly taskHubName: string;
  readonly maxConcurrentActivityFunctions: number;
  readonly maxConcurrentOrchestratorFunctions: number;
  readonly counters: DurableCounters = newCounters();

  private readonly catalog = new FunctionCatalog();
  private readonly store: InstanceStore;
  private readonly scheduler: WorkScheduler;
  private readonly timers: DurableTimers;
  private readonly lifecycle: OrchestrationLifecycle;
  private readonly entities: EntityRunner;
  private readonly detachClock?: () => void;
  private started = false;
  private stopped = false;

  constructor(options: DurableEngineOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    const settings = resolveEngineSettings(options);
    this.taskHubName = settings.taskHubName;
    this.maxConcurrentActivityFunctions = settings.maxConcurrentActivityFunctions;
    this.maxConcurrentOrchestratorFunctions = settings.maxConcurrentOrchestratorFunctions;
    const logHandler = options.logHandler ?? (() => undefined);
    const { clock, counters, catalog } = this;

    const files = options.stateDir
      ? new InstanceFileStore<InstanceRecord>(options.stateDir, options.fsync ?? true)
      : undefined;
    const store = new InstanceStore(clock, files, (id) => this.scheduler.kick(id));
    const timers = new DurableTimers(clock, (instanceId, executionId, task) => {
      const current = store.get(instanceId);
      if (current && current.executionId === executionId) {
        store.deliver(current, executionId, timerFiredEvent(task, iso(clock.now())));
      }
    });
    const outcomes = new InstanceOutcomes(store, timers, counters, clock);
    const planner = new TaskPlanner(settings, counters, logHandler);
    const activities = new ActivityRunner(store, catalog, counters, clock, logHandler, () =>
      this.activityClientBinding(),
    );
    const scheduler: WorkScheduler = new WorkScheduler(settings, counters, {
      hasPendingWork: (id) => store.hasPendingWork(id),
      runEpisode: (id): Promise<void> => episodes.run(id),
      runActivity: (item) => activities.run(item),
      activityDone: (item, event) => {
        const current = store.get(item.instanceId);
        if (current) {
          store.deliver(current, item.executionId, event);
        }
      },
    });
    const entityFiles = options.stateDir
      ? new InstanceFileStore<EntityRecord>(options.stateDir, options.fsync ?? true, 'entities')
      : undefined;
    const entities = new EntityRunner(store, entityFiles, catalog, scheduler, clock, logHandler);
    const lifecycle = new OrchestrationLifecycle(
      store,
      scheduler,
      timers,
      outcomes,
      catalog,
      entities,
      counters,
      clock,
    );
    const episodes = new EpisodeRunner({
      store,
      catalog,
      planner,
      outcomes,
      lifecycle,
      timers,
      counters,
      clock,
      settings,
      logHandler,
    });
    this.store = store;
    this.scheduler = scheduler;
    this.timers = timers;
    this.lifecycle = lifecycle;
    this.entities = entities;
    if (this.clock instanceof VirtualClock) {
      this.detachClock = this.clock.attach(() => this.waitForIdle());
    }
  }

  // ---------------------------------------------------------------- registration

  /** `handler` is what `df.app.orchestration` gives app.generic: `(bindingInfo, context) => Promise<OrchestratorState>`. */
  registerOrchestration(name: string, handler: DurableFunctionHandler): void {
    this.catalog.registerOrchestration(name, handler);
  }

  /**
   * `handler` is what `df.app.activity` gives app.generic: `(input, context) => Promise<result>`; `extraInputs` as
   * registered (a `durableClient` input is bound, so `df.getClient(context)` works inside the activity).
   */
  registerActivity(name: string, handler: DurableFunctionHandler, extraInputs: FunctionInput[] = []): void {
    this.catalog.registerActivity(name, handler, extraInputs);
  }

  /** Binding data for an activity's durableClient input; the engine with its HTTP API provides it. */
  protected activityClientBinding(): unknown {
    return undefined;
  }

  /** `handler` is what `df.app.entity` gives app.generic: `(batch, context) => Promise<EntityState>`. */
  registerEntity(name: string, handler: DurableFunctionHandler): void {
    this.catalog.registerEntity(name, handler);
  }

  /** Registers every orchestration, activity and entity trigger function of a captured registry. Returns the names. */
  registerFromRegistry(registry: FunctionRegistry): {
    orchestrations: string[];
    activities: string[];
    entities: string[];
  } {
    return this.catalog.registerFromRegistry(registry);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Resumes persisted unfinished instances and starts dispatching. */
  start(): Promise<void> {
    if (this.started) {
      return Promise.resolve();
    }
    this.started = true;
    this.scheduler.start();
    // Instances first (entities answer them), then entities (instances re-send requests to them).
    const records = this.store.loadPersisted();
    this.entities.resumeAll();
    for (const record of records) {
      this.lifecycle.resume(record);
    }
    return Promise.resolve();
  }

  /**
   * Stops dispatching: timers are disarmed, results of work still running are
   * dropped (as in a process crash, so persisted state stays as it was).
   * Does not wait for running activities.
   */
  stop(): Promise<void> {
    if (this.stopped) {
      return Promise.resolve();
    }
    this.stopped = true;
    this.store.close();
    this.timers.stop();
    this.detachClock?.();
    this.scheduler.stop();
    return Promise.resolve();
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
    return this.lifecycle.startNew(name, instanceId, inputJson);
  }

  /** Delivers an external event; buffered in history if the orchestrator is not waiting for it yet. */
  raiseEvent(instanceId: string, eventName: string, data?: unknown): void {
    this.raiseEventFromJson(instanceId, eventName, data === undefined ? undefined : toJsonText(data));
  }

  raiseEventFromJson(instanceId: string, eventName: string, dataJson: string | undefined): void {
    this.ensureRunning();
    this.lifecycle.raiseEvent(instanceId, eventName, dataJson);
  }

  /** Queues a fire-and-forget operation for an entity (created on first use). */
  signalEntity(name: string, key: string, operation: string, input?: unknown): void {
    this.signalEntityFromJson(name, key, operation, input === undefined ? undefined : toJsonText(input));
  }

  signalEntityFromJson(name: string, key: string, operation: string, inputJson: string | undefined): void {
    this.ensureRunning();
    if (!name || !key || !operation) {
      throw new RangeError('signalEntity: entity name, key and operation must be non-empty strings');
    }
    if (!this.catalog.entity(name)) {
      throw new DurableNotFoundError(
        `The function '${name}' doesn't exist, is disabled, or is not an entity function.`,
      );
    }
    this.entities.enqueue(name, key, { id: randomUUID(), op: operation, signal: true, input: inputJson });
  }

  /** An entity's state (parsed), with whether it exists. */
  readEntityState(name: string, key: string): { exists: boolean; state?: unknown } {
    const { exists, stateJson } = this.entities.readState(name, key);
    return exists ? { exists, state: parseJsonText(stateJson) } : { exists };
  }

  terminate(instanceId: string, reason?: string): void {
    this.ensureRunning();
    this.lifecycle.terminate(instanceId, reason);
  }

  /** Deletes a finished instance (Completed / Failed / Terminated). Returns false if there is none. */
  purge(instanceId: string): boolean {
    this.ensureRunning();
    return this.lifecycle.purge(instanceId);
  }

  /** Purges finished instances created in [from, to] (optionally only the given statuses). Returns the count. */
  purgeBy(from: Date, to: Date, statuses?: RuntimeStatus[]): number {
    this.ensureRunning();
    return this.lifecycle.purgeBy(from, to, statuses);
  }

  getStatus(
    instanceId: string,
    options: { showHistory?: boolean; showInput?: boolean } = {},
  ): InstanceStatus | undefined {
    const record = this.store.get(instanceId);
    return record ? this.store.toStatus(record, options) : undefined;
  }

  /** History of the current execution in the extension's wire format (a copy). */
  getHistory(instanceId: string): HistoryEvent[] {
    return JSON.parse(JSON.stringify(this.store.require(instanceId).history)) as HistoryEvent[];
  }

  listInstances(query: InstanceQuery = {}): InstanceStatus[] {
    return this.store.list(query);
  }

  /**
   * One page of instances, newest first, from the index: what the management API's `GET instances?top=`
   * answers. `after` is the previous page's `next`. Counts its cost in `counters.queryInstances*`.
   */
  listInstancePage(query: InstanceQuery & { top: number; after?: IndexKey; showInput?: boolean }): {
    instances: InstanceStatus[];
    next?: IndexKey;
  } {
    const page = this.store.page(query);
    this.counters.queryInstancesScanned += page.scanned;
    this.counters.queryInstancesReturned += page.records.length;
    const instances = page.records.map((r) => this.store.toStatus(r, { showInput: query.showInput ?? true }));
    return page.next ? { instances, next: page.next } : { instances };
  }

  instanceCounters(instanceId: string): DurableCounterSet | undefined {
    const record = this.store.get(instanceId);
    return record ? { ...record.counters } : undefined;
  }

  // ---------------------------------------------------------------- waiting helpers

  /** Resolves with the status once the instance reaches one of `statuses`; rejects after `timeoutMs` of real time. */
  waitForInstance(instanceId: string, options: WaitForInstanceOptions = {}): Promise<InstanceStatus> {
    return this.store.waitFor(instanceId, options);
  }

  /** Resolves when no episode or activity is queued or running. */
  waitForIdle(): Promise<void> {
    return this.scheduler.waitForIdle();
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
      const earliest = this.timers.earliestDueAt();
      if (earliest === undefined || this.stopped) {
        return;
      }
      if (fired++ >= maxTimers) {
        throw new Error(
          `runUntilIdle: still ${this.timers.armedCount} durable timer(s) armed after ${maxTimers} firings (eternal orchestration?); use clock.advance(ms) instead`,
        );
      }
      if (this.clock instanceof VirtualClock) {
        await this.clock.advanceTo(Math.max(earliest, this.clock.now()));
      } else {
        await this.timers.nextFiring();
      }
    }
  }

  private ensureRunning(): void {
    if (this.stopped) {
      throw new Error('DurableEngine is stopped');
    }
  }
}
