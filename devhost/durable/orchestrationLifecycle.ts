import { randomUUID } from 'node:crypto';
import type { Clock } from './clock';
import {
  DurableNotFoundError,
  DurableStateError,
  OrchestrationAlreadyExistsError,
  TERMINAL_STATUSES,
} from './durableErrors';
import type { RuntimeStatus } from './durableErrors';
import type { DurableTimers } from './durableTimers';
import { newCounterSet, type DurableCounters } from './durableTypes';
import { parseEntitySchedulerId } from './entityRecord';
import type { EntityRunner } from './entityRunner';
import type { FunctionCatalog } from './functionCatalog';
import {
  eventRaisedEvent,
  executionStartedEvent,
  executionTerminatedEvent,
  subOrchestrationFailedEvent,
} from './historyEventBuilders';
import type { InstanceOutcomes } from './instanceOutcomes';
import { activityWorkItem } from './instanceRecord';
import type { InstanceRecord, SideEffects, TaskRecord } from './instanceRecord';
import type { InstanceStore } from './instanceStore';
import { iso } from './jsonText';
import type { WorkScheduler } from './workScheduler';

/**
 * Starting, signalling, ending and forgetting instances (what the client asks for), starting
 * sub-orchestrations, carrying out an episode's side effects, and resuming unfinished instances after a
 * restart.
 */
export class OrchestrationLifecycle {
  constructor(
    private readonly store: InstanceStore,
    private readonly scheduler: WorkScheduler,
    private readonly timers: DurableTimers,
    private readonly outcomes: InstanceOutcomes,
    private readonly catalog: FunctionCatalog,
    private readonly entities: EntityRunner,
    private readonly counters: DurableCounters,
    private readonly clock: Clock,
  ) {}

  /** Starts (or replaces a finished) instance. Throws OrchestrationAlreadyExistsError while one is Pending/Running. */
  startNew(name: string, instanceId: string | undefined, inputJson: string | undefined): string {
    const orchestrator = this.catalog.orchestrator(name);
    if (!orchestrator) {
      const known = this.catalog
        .orchestratorNames()
        .map((n) => `'${n}'`)
        .join(', ');
      throw new DurableNotFoundError(
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function. Additional info: the following are the known orchestrator functions: ${known || '(none)'}.`,
      );
    }
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    validateInstanceId(id);
    const existing = this.store.get(id);
    if (existing && !TERMINAL_STATUSES.includes(existing.status)) {
      throw new OrchestrationAlreadyExistsError(
        `An Orchestration instance with the status ${existing.status} already exists.`,
      );
    }
    if (existing) {
      this.timers.disarmInstance(existing);
    }
    const record = this.createRecord(orchestrator.name, id, inputJson, undefined);
    this.counters.orchestrationsStarted++;
    this.store.persist(record);
    this.store.notify(record);
    this.scheduler.kick(id);
    return id;
  }

  raiseEvent(instanceId: string, eventName: string, dataJson: string | undefined): void {
    if (!eventName) {
      throw new RangeError('raiseEvent: eventName must be a non-empty string');
    }
    const record = this.store.require(instanceId);
    if (TERMINAL_STATUSES.includes(record.status)) {
      throw new DurableStateError(
        `Instance '${instanceId}' is ${record.status}; events can no longer be raised to it.`,
        410,
      );
    }
    this.store.deliver(
      record,
      record.executionId,
      eventRaisedEvent(eventName, dataJson, iso(this.clock.now())),
    );
  }

  terminate(instanceId: string, reason?: string): void {
    const record = this.store.require(instanceId);
    if (TERMINAL_STATUSES.includes(record.status)) {
      throw new DurableStateError(`Instance '${instanceId}' is already ${record.status}.`, 410);
    }
    record.history.push(executionTerminatedEvent(reason, iso(this.clock.now())));
    record.inbox = [];
    record.output = reason ?? null;
    this.timers.disarmInstance(record);
    this.store.setStatus(record, 'Terminated');
    this.counters.orchestrationsTerminated++;
    this.outcomes.finish(record);
  }

  /** Deletes a finished instance (Completed / Failed / Terminated). Returns false if there is none. */
  purge(instanceId: string): boolean {
    const record = this.store.get(instanceId);
    if (!record) {
      return false;
    }
    if (!TERMINAL_STATUSES.includes(record.status)) {
      throw new DurableStateError(
        `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${instanceId} has status ${record.status}`,
        412,
      );
    }
    this.store.remove(instanceId);
    return true;
  }

  /** Purges finished instances created in [from, to] (optionally only the given statuses). Returns the count. */
  purgeBy(from: Date, to: Date, statuses?: RuntimeStatus[]): number {
    let count = 0;
    for (const record of this.store.all()) {
      const created = Date.parse(record.createdTime);
      if (created < from.getTime() || created > to.getTime() || !TERMINAL_STATUSES.includes(record.status)) {
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

  /** Starts the work an episode decided on, once its history is committed. */
  applyEffects(record: InstanceRecord, effects: SideEffects): void {
    for (const item of effects.activities) {
      this.scheduler.enqueueActivity(item);
    }
    for (const task of effects.timers) {
      this.timers.arm(record, task);
    }
    for (const child of effects.children) {
      this.startChild(record, child.task, child.inputJson);
    }
    this.sendEntityRequests(effects);
  }

  /** Sends the entity calls and signals an episode decided on. */
  sendEntityRequests(effects: SideEffects): void {
    for (const task of effects.entityRequests) {
      this.sendToEntity(task);
    }
  }

  private sendToEntity(task: TaskRecord): void {
    if (task.entityId && task.request) {
      const { name, key } = parseEntitySchedulerId(task.entityId);
      this.entities.enqueue(name, key, task.request);
    }
  }

  /** After a restart: re-issues whatever an unfinished instance was waiting for. */
  resume(record: InstanceRecord): void {
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
        this.scheduler.enqueueActivity(activityWorkItem(record, task));
      } else if (task.kind === 'timer' || task.kind === 'retryTimer') {
        if (!(task.kind === 'timer' && record.leaves[task.leafIndex]?.canceled)) {
          this.timers.arm(record, task);
        }
      } else if (task.kind === 'subOrchestration') {
        this.resumeChild(record, task);
      } else if ((task.kind === 'entityCall' || task.kind === 'entitySignal') && !task.delivered) {
        // Stopped between recording the request and the entity queueing it (the entity drops duplicates).
        this.sendToEntity(task);
      }
    }
    this.scheduler.kick(record.instanceId);
  }

  private resumeChild(record: InstanceRecord, task: TaskRecord): void {
    const child = task.childInstanceId ? this.store.get(task.childInstanceId) : undefined;
    if (!child || child.parent?.executionId !== record.executionId) {
      // Stopped between recording the call and persisting the child: start it now.
      this.startChild(record, task, task.inputJson);
    } else if (TERMINAL_STATUSES.includes(child.status)) {
      // Stopped between the child finishing and the parent hearing of it.
      this.outcomes.notifyParent(child);
    }
  }

  private startChild(parent: InstanceRecord, task: TaskRecord, inputJson: string | undefined): void {
    const childId = task.childInstanceId ?? `${parent.instanceId}:${task.seq}`;
    const orchestrator = task.name ? this.catalog.orchestrator(task.name) : undefined;
    const existing = this.store.get(childId);
    const failTask = (reason: string): void =>
      this.store.deliver(
        parent,
        parent.executionId,
        subOrchestrationFailedEvent(
          task.seq,
          reason,
          'System.ArgumentException',
          reason,
          iso(this.clock.now()),
        ),
      );
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
    this.store.persist(child);
    this.store.notify(child);
    this.scheduler.kick(childId);
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
      inbox: [{ executionId, event: executionStartedEvent(name, inputJson, parent, now) }],
      leaves: [],
      tasks: {},
      nextSeq: 0,
      counters: newCounterSet(),
    };
    this.store.add(record);
    return record;
  }
}

function validateInstanceId(id: string): void {
  if (id.length === 0 || id.length > 256) {
    throw new RangeError(`Instance id must be 1-256 characters, got ${id.length}`);
  }
  if (/[/\\#?]/.test(id) || [...id].some((c) => c.charCodeAt(0) < 32)) {
    throw new RangeError(`Instance id "${id}" must not contain '/', '\\', '#', '?' or control characters`);
  }
}
