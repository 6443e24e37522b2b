import type { LogHandler } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { DurableCounters } from './durableTypes';
import { HistoryEventType } from './historyEvent';
import type { HistoryEvent } from './historyEvent';
import {
  eventSentEvent,
  subOrchestrationCreatedEvent,
  taskScheduledEvent,
  timerCreatedEvent,
} from './historyEventBuilders';
import { activityWorkItem } from './instanceRecord';
import type { InstanceRecord, LeafKind, LeafRecord, SideEffects, TaskRecord } from './instanceRecord';
import { iso, processedInputToJsonText, toJsonText } from './jsonText';
import type { EntityRequest } from './entityRecord';
import {
  ACTION,
  actionSignature,
  entityInputJson,
  fireAtIso,
  leafKind,
  type SerializedAction,
} from './orchestratorActions';

/**
 * Numbers the tasks an orchestrator asks for, exactly where durable-functions' replay numbers them: each
 * new action leaf, and the tasks the library numbers on its own while processing an event (retry timer
 * after a failed attempt, next attempt after a retry timer, next chunk of a long timer). Returns the
 * history events to record and adds the work to start to `effects`.
 */
export class TaskPlanner {
  constructor(
    private readonly timerSettings: { maxShortTimerMs: number; longTimerIntervalMs: number },
    private readonly counters: DurableCounters,
    private readonly logHandler: LogHandler,
  ) {}

  /** History events for a new leaf action, with the side effects they call for. */
  scheduleLeaf(
    record: InstanceRecord,
    action: SerializedAction,
    index: number,
    nowMs: number,
    effects: SideEffects,
  ): HistoryEvent[] {
    const kind = leafKind(action);
    const leaf: LeafRecord = {
      index,
      actionType: action.actionType,
      kind,
      signature: actionSignature(action),
      name: leafName(action, kind),
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
        this.startRetries(task, action, now);
      }
      record.tasks[String(seq)] = task;
      effects.activities.push(activityWorkItem(record, task));
      return [taskScheduledEvent(task, now)];
    }
    if (kind === 'entityCall' || kind === 'entitySignal') {
      return [this.entityRequest(record, action, kind, seq, index, now, effects)];
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
        this.startRetries(task, action, now);
      }
      record.tasks[String(seq)] = task;
      effects.children.push({ task, inputJson: task.inputJson });
      return [subOrchestrationCreatedEvent(task, now)];
    }
    // Timer: the library splits timers longer than maximumShortTimerDuration into chunks.
    const finalFireAt = fireAtIso(action);
    leaf.fireAt = finalFireAt;
    const task: TaskRecord = {
      seq,
      kind: 'timer',
      leafIndex: index,
      fireAt: iso(this.nextChunkFireAt(Date.parse(finalFireAt), nowMs)),
      finalFireAt,
      done: false,
    };
    record.tasks[String(seq)] = task;
    if (action.isCanceled) {
      leaf.canceled = true;
    } else {
      effects.timers.push(task);
    }
    return [this.timerCreated(record, task, now)];
  }

  /**
   * For a new event, the task the orchestrator library will number while processing it, as history
   * events; undefined if there is none. `dryRun` only answers whether there is one.
   */
  followUpFor(
    record: InstanceRecord,
    event: HistoryEvent,
    nowMs: number,
    dryRun: boolean,
    effects: SideEffects,
  ): HistoryEvent[] | undefined {
    const id = event.TaskScheduledId ?? event.TimerId;
    const task = id === undefined ? undefined : record.tasks[String(id)];
    if (!task) {
      return undefined;
    }
    const failed =
      event.EventType === HistoryEventType.TaskFailed ||
      event.EventType === HistoryEventType.SubOrchestrationInstanceFailed;
    if (failed && task.retry && (task.kind === 'activity' || task.kind === 'subOrchestration')) {
      return this.retryTimerAfter(record, task, nowMs, dryRun, effects);
    }
    if (event.EventType === HistoryEventType.TimerFired && task.kind === 'retryTimer') {
      return this.retryAttemptAfter(record, task, nowMs, dryRun, effects);
    }
    if (event.EventType === HistoryEventType.TimerFired && task.kind === 'timer' && task.finalFireAt) {
      return this.nextTimerChunkAfter(record, task, nowMs, dryRun, effects);
    }
    return undefined;
  }

  /** A call or signal to an entity: the request goes out once history records it (EventSent). */
  private entityRequest(
    record: InstanceRecord,
    action: SerializedAction,
    kind: 'entityCall' | 'entitySignal',
    seq: number,
    index: number,
    now: string,
    effects: SideEffects,
  ): HistoryEvent {
    const entityId = action.instanceId ?? '';
    const request: EntityRequest = {
      id: randomUUID(),
      op: action.operation ?? '',
      signal: kind === 'entitySignal',
      input: entityInputJson(action),
      parent: { instanceId: record.instanceId, executionId: record.executionId, taskSeq: seq },
    };
    const task: TaskRecord = {
      seq,
      kind,
      leafIndex: index,
      name: request.op,
      entityId,
      request,
      done: false,
    };
    record.tasks[String(seq)] = task;
    effects.entityRequests.push(task);
    // The extension's RequestMessage; durable-functions reads `id` from it to match the response.
    return eventSentEvent(
      seq,
      entityId,
      {
        id: request.id,
        op: request.op,
        signal: request.signal,
        ...(request.input === undefined ? {} : { input: request.input }),
        parent: record.instanceId,
        parentExecution: record.executionId,
        timestamp: now,
      },
      now,
    );
  }

  private startRetries(task: TaskRecord, action: SerializedAction, now: string): void {
    task.retry = action.retryOptions;
    task.attempt = 1;
    task.firstAttemptAt = now;
  }

  private retryTimerAfter(
    record: InstanceRecord,
    task: TaskRecord,
    nowMs: number,
    dryRun: boolean,
    effects: SideEffects,
  ): HistoryEvent[] | undefined {
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
      retryTarget: task.kind === 'subOrchestration' ? 'subOrchestration' : 'activity',
      done: false,
    };
    record.tasks[String(timer.seq)] = timer;
    effects.timers.push(timer);
    return [this.timerCreated(record, timer, iso(nowMs))];
  }

  private retryAttemptAfter(
    record: InstanceRecord,
    timer: TaskRecord,
    nowMs: number,
    dryRun: boolean,
    effects: SideEffects,
  ): HistoryEvent[] | undefined {
    const failedAttempt = timer.attempt ?? 1;
    if (!timer.retry || failedAttempt >= timer.retry.maxNumberOfAttempts) {
      return undefined; // the library now fails the task with the last error
    }
    if (dryRun) {
      return [];
    }
    const now = iso(nowMs);
    const retried: TaskRecord = {
      seq: record.nextSeq++,
      kind: timer.retryTarget === 'subOrchestration' ? 'subOrchestration' : 'activity',
      leafIndex: timer.leafIndex,
      name: timer.name,
      inputJson: timer.inputJson,
      retry: timer.retry,
      attempt: failedAttempt + 1,
      firstAttemptAt: timer.firstAttemptAt,
      done: false,
    };
    record.tasks[String(retried.seq)] = retried;
    if (retried.kind === 'activity') {
      effects.activities.push(activityWorkItem(record, retried));
      return [taskScheduledEvent(retried, now)];
    }
    retried.childInstanceIdExplicit = timer.childInstanceIdExplicit;
    retried.childInstanceId = timer.childInstanceIdExplicit
      ? timer.childInstanceId
      : `${record.instanceId}:${retried.seq}`;
    effects.children.push({ task: retried, inputJson: retried.inputJson });
    return [subOrchestrationCreatedEvent(retried, now)];
  }

  private nextTimerChunkAfter(
    record: InstanceRecord,
    timer: TaskRecord,
    nowMs: number,
    dryRun: boolean,
    effects: SideEffects,
  ): HistoryEvent[] | undefined {
    const finalMs = Date.parse(timer.finalFireAt ?? '');
    if (finalMs <= nowMs || Date.parse(timer.fireAt ?? timer.finalFireAt ?? '') >= finalMs) {
      return undefined;
    }
    if (dryRun) {
      return [];
    }
    const chunk: TaskRecord = {
      seq: record.nextSeq++,
      kind: 'timer',
      leafIndex: timer.leafIndex,
      fireAt: iso(this.nextChunkFireAt(finalMs, nowMs)),
      finalFireAt: timer.finalFireAt,
      done: false,
    };
    record.tasks[String(chunk.seq)] = chunk;
    if (!record.leaves[timer.leafIndex]?.canceled) {
      effects.timers.push(chunk);
    }
    return [this.timerCreated(record, chunk, iso(nowMs))];
  }

  private timerCreated(record: InstanceRecord, task: TaskRecord, now: string): HistoryEvent {
    this.counters.timersCreated++;
    record.counters.timersCreated++;
    return timerCreatedEvent(task, now);
  }

  private nextChunkFireAt(finalMs: number, nowMs: number): number {
    const { maxShortTimerMs, longTimerIntervalMs } = this.timerSettings;
    return finalMs - nowMs > maxShortTimerMs ? nowMs + longTimerIntervalMs : finalMs;
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
}

function leafName(action: SerializedAction, kind: LeafKind): string | undefined {
  switch (kind) {
    case 'wait':
      return action.externalEventName;
    case 'entityCall':
    case 'entitySignal':
      return action.operation;
    default:
      return action.functionName;
  }
}
