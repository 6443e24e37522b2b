import type { LogHandler } from '@azure/functions';
import * as df from 'durable-functions';
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock';
import { TERMINAL_STATUSES } from './durableErrors';
import type { DurableTimers } from './durableTimers';
import type { DurableCounters } from './durableTypes';
import type { EngineSettings } from './engineSettings';
import type { FunctionCatalog } from './functionCatalog';
import { HistoryEventType } from './historyEvent';
import type { HistoryEvent } from './historyEvent';
import { orchestratorCompletedEvent, orchestratorStartedEvent } from './historyEventBuilders';
import type { InstanceOutcomes } from './instanceOutcomes';
import type { InstanceRecord, SideEffects, TaskRecord } from './instanceRecord';
import type { InstanceStore } from './instanceStore';
import { errorMessage, iso, parseJsonText } from './jsonText';
import type { OrchestrationLifecycle } from './orchestrationLifecycle';
import { flattenActions, type OrchestratorStateLike, type SerializedAction } from './orchestratorActions';
import { findReplayMismatch, NON_DETERMINISTIC_PREFIX } from './replayCheck';
import type { TaskPlanner } from './taskPlanner';

const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';

type InvocationOutcome = { kind: 'state'; state: OrchestratorStateLike } | { kind: 'error'; message: string };

export interface EpisodeRunnerDeps {
  store: InstanceStore;
  catalog: FunctionCatalog;
  planner: TaskPlanner;
  outcomes: InstanceOutcomes;
  lifecycle: OrchestrationLifecycle;
  timers: DurableTimers;
  counters: DurableCounters;
  clock: Clock;
  settings: Pick<EngineSettings, 'maximumShortTimerDuration' | 'longRunningTimerIntervalDuration'>;
  logHandler: LogHandler;
}

/**
 * Runs orchestrator episodes through durable-functions' own replay code: hands the orchestrator its
 * history plus the new events, checks that replay reproduced every recorded decision, records the new
 * ones in history and starts the work they ask for.
 */
export class EpisodeRunner {
  constructor(private readonly deps: EpisodeRunnerDeps) {}

  /** Runs an episode for the instance if it still has work; an internal error fails the instance. */
  async run(instanceId: string): Promise<void> {
    const { store, outcomes } = this.deps;
    try {
      const record = store.get(instanceId);
      if (record && !TERMINAL_STATUSES.includes(record.status) && record.inbox.length > 0) {
        await this.runEpisode(record);
      }
    } catch (error) {
      const record = store.get(instanceId);
      if (record && !store.closed && !TERMINAL_STATUSES.includes(record.status)) {
        outcomes.fail(record, `DurableEngine internal error: ${errorMessage(error)}`);
      }
    }
  }

  /**
   * One episode: old history (IsPlayed) + OrchestratorStarted + new events.
   * A new event that makes the orchestrator library number a task of its own
   * (retry timer, retry attempt, next chunk of a long timer) goes alone into
   * its episode, so the host numbers it exactly where replay does.
   */
  private async runEpisode(record: InstanceRecord): Promise<void> {
    const { store, planner, outcomes, counters } = this.deps;
    const nowMs = this.deps.clock.now();
    const now = iso(nowMs);
    const executionId = record.executionId;
    record.inbox = record.inbox.filter((m) => m.executionId === executionId);
    const effects: SideEffects = { activities: [], timers: [], children: [], entityRequests: [] };
    const { batch, numberingEvent } = this.takeBatch(record, nowMs, effects);
    if (batch.length === 0) {
      return;
    }
    if (record.status === 'Pending') {
      store.setStatus(record, 'Running');
      store.notify(record);
    }

    const episodeHistory: HistoryEvent[] = [
      ...record.history.map((e) => ({ ...e, IsPlayed: true })),
      orchestratorStartedEvent(now, false),
      ...batch.map((e) => ({ ...e, IsPlayed: false })),
    ];
    this.countEpisode(record, episodeHistory.length);

    // The record is persisted by deliveries while the orchestrator runs, so it
    // is only changed after this await, in one synchronous step up to persist.
    const outcome = await this.invokeOrchestrator(record, episodeHistory);
    if (store.closed || record.executionId !== executionId || TERMINAL_STATUSES.includes(record.status)) {
      // Terminated (or replaced) while the episode ran: its decisions are discarded.
      return;
    }

    record.inbox = record.inbox.slice(batch.length);
    for (const event of batch) {
      const task =
        event.TaskScheduledId !== undefined || event.TimerId !== undefined
          ? record.tasks[String(event.TaskScheduledId ?? event.TimerId)]
          : entityCallAnsweredBy(record, event);
      if (task) {
        task.done = true;
      }
      if (event.EventType === HistoryEventType.TimerFired) {
        counters.timersFired++;
        record.counters.timersFired++;
      }
    }
    // Numbered before the orchestrator's new actions: replay numbers it while processing the event.
    const followUps = numberingEvent
      ? (planner.followUpFor(record, numberingEvent, nowMs, false, effects) ?? [])
      : [];

    const committed: HistoryEvent[] = [
      ...record.history,
      orchestratorStartedEvent(now, true),
      ...batch.map((e) => ({ ...e, IsPlayed: true })),
      ...followUps,
    ];

    if (outcome.kind === 'error') {
      record.history = committed;
      outcomes.fail(record, outcome.message);
      return;
    }

    const state = outcome.state;
    let leaves: SerializedAction[];
    let continueAsNew: SerializedAction | undefined;
    try {
      ({ leaves, continueAsNew } = flattenActions(state.actions));
    } catch (error) {
      record.history = committed;
      outcomes.fail(record, errorMessage(error));
      return;
    }

    const mismatch = findReplayMismatch(record.leaves, leaves);
    if (mismatch) {
      record.history = committed;
      outcomes.fail(record, NON_DETERMINISTIC_PREFIX + mismatch);
      return;
    }
    this.applyCancellations(record, leaves);

    for (let i = record.leaves.length; i < leaves.length; i++) {
      committed.push(...planner.scheduleLeaf(record, leaves[i] as SerializedAction, i, nowMs, effects));
    }
    committed.push(orchestratorCompletedEvent(now));
    record.history = committed;
    record.customStatus = state.customStatus;
    record.lastUpdatedTime = now;

    if (state.isDone && (continueAsNew || !hasOutstandingTimers(record))) {
      // Messages to entities sent in the last episode still go out, as the extension sends them.
      this.deps.lifecycle.sendEntityRequests(effects);
      if (continueAsNew) {
        outcomes.continueAsNew(record, continueAsNew);
      } else {
        outcomes.complete(record, state.output);
      }
      return;
    }
    // Still running (or done but waiting on uncancelled timers, as the extension does).
    store.persist(record);
    this.deps.lifecycle.applyEffects(record, effects);
  }

  /** The inbox events for this episode: up to (and including) the first one that makes replay number a task. */
  private takeBatch(
    record: InstanceRecord,
    nowMs: number,
    effects: SideEffects,
  ): { batch: HistoryEvent[]; numberingEvent?: HistoryEvent } {
    const batch: HistoryEvent[] = [];
    for (const message of record.inbox) {
      const needsSequence =
        this.deps.planner.followUpFor(record, message.event, nowMs, true, effects) !== undefined;
      if (needsSequence && batch.length > 0) {
        break;
      }
      batch.push(message.event);
      if (needsSequence) {
        return { batch, numberingEvent: message.event };
      }
    }
    return { batch };
  }

  private countEpisode(record: InstanceRecord, historyLength: number): void {
    for (const counters of [this.deps.counters, record.counters]) {
      counters.episodes++;
      counters.historyEventsReplayed += historyLength;
      counters.largestHistory = Math.max(counters.largestHistory, historyLength);
    }
  }

  private async invokeOrchestrator(
    record: InstanceRecord,
    history: HistoryEvent[],
  ): Promise<InvocationOutcome> {
    const orchestrator = this.deps.catalog.orchestrator(record.name);
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
      longRunningTimerIntervalDuration: this.deps.settings.longRunningTimerIntervalDuration,
      maximumShortTimerDuration: this.deps.settings.maximumShortTimerDuration,
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    const context = new df.DummyOrchestrationContext(orchestrator.name, randomUUID(), this.deps.logHandler);
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
        message: `Orchestrator function '${record.name}' failed: ${orchestratorErrorMessage(error)}`,
      };
    }
  }

  /** Cancelled timers (e.g. the loser of a Task.any) stop being armed. */
  private applyCancellations(record: InstanceRecord, leaves: SerializedAction[]): void {
    for (const recorded of record.leaves) {
      const action = leaves[recorded.index];
      if (recorded.kind === 'timer' && action?.isCanceled && !recorded.canceled) {
        recorded.canceled = true;
        for (const task of Object.values(record.tasks)) {
          if (task.leafIndex === recorded.index && task.kind === 'timer' && !task.done) {
            this.deps.timers.disarm(record, task.seq);
          }
        }
      }
    }
  }
}

/** The entity call an EventRaised answers (its name is the request id), if it is such an answer. */
function entityCallAnsweredBy(record: InstanceRecord, event: HistoryEvent): TaskRecord | undefined {
  if (event.EventType !== HistoryEventType.EventRaised) {
    return undefined;
  }
  return Object.values(record.tasks).find((t) => t.kind === 'entityCall' && t.request?.id === event.Name);
}

function hasOutstandingTimers(record: InstanceRecord): boolean {
  return Object.values(record.tasks).some(
    (task) => task.kind === 'timer' && !task.done && !record.leaves[task.leafIndex]?.canceled,
  );
}

/**
 * OrchestrationFailureError's message is `<x>$OutOfProcData$:<state JSON>`;
 * durable-functions 3.x passes a boolean as <x>, so the real message is the state's `error`.
 */
function orchestratorErrorMessage(error: unknown): string {
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
