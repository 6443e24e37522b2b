import { randomUUID } from 'node:crypto';
import type { Clock } from './clock';
import type { DurableCounters } from './durableTypes';
import type { DurableTimers } from './durableTimers';
import { HistoryEventType } from './historyEvent';
import type { HistoryEvent } from './historyEvent';
import {
  executionCompletedEvent,
  executionFailedEvent,
  executionStartedEvent,
  subOrchestrationCompletedEvent,
  subOrchestrationFailedEvent,
} from './historyEventBuilders';
import type { InstanceRecord } from './instanceRecord';
import type { InstanceStore } from './instanceStore';
import { iso, processedInputToJsonText, toJsonText } from './jsonText';
import type { SerializedAction } from './orchestratorActions';

/**
 * How an execution ends: completed, failed or continued as new. Each is recorded in history, persisted,
 * reported to a parent orchestration (sub-orchestrations) and to status listeners.
 */
export class InstanceOutcomes {
  constructor(
    private readonly store: InstanceStore,
    private readonly timers: DurableTimers,
    private readonly counters: DurableCounters,
    private readonly clock: Clock,
  ) {}

  complete(record: InstanceRecord, output: unknown): void {
    record.output = output === undefined ? null : (JSON.parse(toJsonText(output)) as unknown);
    record.history.push(executionCompletedEvent(record.output, this.now()));
    this.timers.disarmInstance(record);
    this.store.setStatus(record, 'Completed');
    this.counters.orchestrationsCompleted++;
    this.finish(record);
  }

  fail(record: InstanceRecord, message: string): void {
    record.output = message;
    record.history.push(executionFailedEvent(message, this.now()));
    record.inbox = [];
    this.timers.disarmInstance(record);
    this.store.setStatus(record, 'Failed');
    this.counters.orchestrationsFailed++;
    this.finish(record);
  }

  /** Persists a record that just reached a terminal status and tells whoever waits for it. */
  finish(record: InstanceRecord): void {
    this.store.persist(record);
    this.notifyParent(record);
    this.store.notify(record);
  }

  continueAsNew(record: InstanceRecord, action: SerializedAction): void {
    // External events the finished execution received but never consumed are carried over
    // (answers from entities belong to the finished execution's calls, so they are not).
    const responses = entityResponseIds(record);
    const carried = unconsumedEvents(record, responses);
    this.timers.disarmInstance(record);
    this.store.setStatus(record, 'ContinuedAsNew');
    this.store.notify(record);
    this.counters.continuedAsNew++;
    record.counters.continuedAsNew++;
    const inputJson = processedInputToJsonText(action.input);
    const executionId = randomUUID();
    record.executionId = executionId;
    record.inputJson = inputJson;
    record.history = [];
    record.leaves = [];
    record.tasks = {};
    record.nextSeq = 0;
    record.output = undefined;
    record.inbox = [
      { executionId, event: executionStartedEvent(record.name, inputJson, record.parent, this.now()) },
      ...carried.map((event) => ({ executionId, event: { ...event, IsPlayed: false } })),
      ...record.inbox
        .filter(
          (m) => m.event.EventType === HistoryEventType.EventRaised && !responses.has(m.event.Name ?? ''),
        )
        .map((m) => ({ executionId, event: m.event })),
    ];
    this.store.setStatus(record, 'Running');
    this.store.persist(record);
    this.store.notify(record);
  }

  /** Tells the parent orchestration that this sub-orchestration finished. */
  notifyParent(record: InstanceRecord): void {
    if (!record.parent) {
      return;
    }
    const parent = this.store.get(record.parent.instanceId);
    if (!parent) {
      return;
    }
    const { taskScheduledId } = record.parent;
    const now = this.now();
    const reason =
      record.status === 'Terminated'
        ? `Sub orchestrator function '${record.name}' was terminated: ${String(record.output)}`
        : String(record.output);
    const event =
      record.status === 'Completed'
        ? subOrchestrationCompletedEvent(taskScheduledId, record.output, now)
        : subOrchestrationFailedEvent(
            taskScheduledId,
            reason,
            'System.Exception',
            String(record.output),
            now,
          );
    this.store.deliver(parent, record.parent.executionId, event);
  }

  private now(): string {
    return iso(this.clock.now());
  }
}

/** Request ids of the execution's entity calls: the names their answers arrive under. */
function entityResponseIds(record: InstanceRecord): Set<string> {
  return new Set(
    Object.values(record.tasks).flatMap((t) => (t.kind === 'entityCall' && t.request ? [t.request.id] : [])),
  );
}

/** EventRaised events of the execution that no wait of the orchestrator consumed (in arrival order). */
function unconsumedEvents(record: InstanceRecord, entityResponses: Set<string>): HistoryEvent[] {
  const remainingWaits = new Map<string, number>();
  for (const leaf of record.leaves) {
    if (leaf.kind === 'wait' && leaf.name) {
      remainingWaits.set(leaf.name, (remainingWaits.get(leaf.name) ?? 0) + 1);
    }
  }
  const carried: HistoryEvent[] = [];
  for (const event of record.history.filter(
    (e) => e.EventType === HistoryEventType.EventRaised && !entityResponses.has(e.Name ?? ''),
  )) {
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
