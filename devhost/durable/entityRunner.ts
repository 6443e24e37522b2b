import { InvocationContext } from '@azure/functions';
import type { LogHandler } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock';
import type { FunctionCatalog } from './functionCatalog';
import { HistoryEventType } from './historyEvent';
import type { HistoryEvent } from './historyEvent';
import { entityResponseEvent } from './historyEventBuilders';
import type { InstanceFileStore } from './instanceFileStore';
import type { InstanceRecord } from './instanceRecord';
import type { InstanceStore } from './instanceStore';
import { errorMessage, iso } from './jsonText';
import {
  RECENT_REQUEST_IDS,
  entitySchedulerId,
  type EntityOutboxMessage,
  type EntityRecord,
  type EntityRequest,
} from './entityRecord';
import type { WorkScheduler } from './workScheduler';

/** Whether the instance already has an event of that name (an answer delivered before a restart). */
function hasEventNamed(record: InstanceRecord, name: string | undefined): boolean {
  const matches = (event: HistoryEvent): boolean =>
    event.EventType === HistoryEventType.EventRaised && event.Name === name;
  return record.history.some(matches) || record.inbox.some((m) => matches(m.event));
}

/** What durable-functions' Entity.handle resolves with (its EntityState). */
interface EntityBatchResult {
  entityExists: boolean;
  entityState?: string;
  results: Array<{ isError: boolean; result?: string }>;
  signals: Array<{ target: { name: string; key: string }; name: string; input?: string }>;
}

/**
 * Runs Durable Entities through durable-functions' own entity code (the handler `df.app.entity`
 * registers): each entity works through its queued requests one batch at a time, in arrival order; the
 * state it keeps is persisted with the queue, answers go to the calling orchestrations as events, and
 * signals an operation sends are queued at their target.
 */
export class EntityRunner {
  private readonly entities = new Map<string, EntityRecord>();
  private readonly running = new Set<string>();

  constructor(
    private readonly instances: InstanceStore,
    private readonly files: InstanceFileStore<EntityRecord> | undefined,
    private readonly catalog: FunctionCatalog,
    private readonly scheduler: WorkScheduler,
    private readonly clock: Clock,
    private readonly logHandler: LogHandler,
  ) {}

  /** Loads persisted entities and resumes working through their queues. */
  resumeAll(): void {
    for (const record of this.files?.loadAll() ?? []) {
      if (!this.entities.has(record.instanceId)) {
        this.entities.set(record.instanceId, record);
      }
    }
    for (const [id, record] of this.entities) {
      this.flushOutbox(record);
      this.kick(id);
    }
  }

  /** Queues a request for the entity (created on first use); a request id it has seen already is ignored. */
  enqueue(name: string, key: string, request: EntityRequest): void {
    if (this.instances.closed) {
      return;
    }
    const id = entitySchedulerId(name, key);
    const record = this.entities.get(id) ?? this.create(id, name, key);
    if (!record.recentRequestIds.includes(request.id) && !record.queue.some((r) => r.id === request.id)) {
      record.queue.push(request);
      this.persist(record);
    }
    this.markDelivered(request);
    this.kick(id);
  }

  /** The entity's state, or undefined if it does not exist (never created, or deleted). */
  readState(name: string, key: string): { exists: boolean; stateJson?: string } {
    const record = this.entities.get(entitySchedulerId(name, key));
    return record?.exists ? { exists: true, stateJson: record.stateJson } : { exists: false };
  }

  private create(id: string, name: string, key: string): EntityRecord {
    const record: EntityRecord = {
      instanceId: id,
      name: name.toLowerCase(),
      key,
      exists: false,
      queue: [],
      recentRequestIds: [],
      outbox: [],
      lastModifiedTime: iso(this.clock.now()),
    };
    this.entities.set(id, record);
    return record;
  }

  /** The sending orchestration no longer needs to re-send this request after a restart. */
  private markDelivered(request: EntityRequest): void {
    const parent = request.parent;
    const sender = parent ? this.instances.get(parent.instanceId) : undefined;
    const task =
      parent && sender?.executionId === parent.executionId ? sender.tasks[String(parent.taskSeq)] : undefined;
    if (sender && task && !task.delivered) {
      task.delivered = true;
      if (task.kind === 'entitySignal') {
        task.done = true;
      }
      this.instances.persist(sender);
    }
  }

  private kick(id: string): void {
    const record = this.entities.get(id);
    if (!record || record.queue.length === 0 || this.running.has(id) || this.instances.closed) {
      return;
    }
    this.running.add(id);
    this.scheduler.track(async () => {
      try {
        await this.runBatch(record);
      } catch (error) {
        // Only the engine's own bookkeeping can throw here (e.g. the state file could not be written).
        this.logHandler('error', `Entity ${id}: batch not committed: ${errorMessage(error)}`);
      } finally {
        this.running.delete(id);
      }
      this.kick(id);
    });
  }

  private async runBatch(record: EntityRecord): Promise<void> {
    const batch = [...record.queue];
    const entity = this.catalog.entity(record.name);
    let result: EntityBatchResult;
    if (!entity) {
      const message = `The function '${record.name}' doesn't exist, is disabled, or is not an entity function.`;
      result = {
        entityExists: record.exists,
        entityState: record.stateJson,
        results: batch.map(() => ({ isError: true, result: JSON.stringify(message) })),
        signals: [],
      };
    } else {
      const binding = {
        self: { name: record.name, key: record.key },
        exists: record.exists,
        state: record.stateJson,
        batch: batch.map((r) => ({ id: r.id, name: r.op, signal: r.signal, input: r.input })),
      };
      try {
        result = (await entity.handler(
          binding,
          this.createContext(entity.name, record),
        )) as EntityBatchResult;
      } catch (error) {
        // Entity.handle catches operation errors itself; this is the handler failing as a whole.
        result = {
          entityExists: record.exists,
          entityState: record.stateJson,
          results: batch.map(() => ({ isError: true, result: JSON.stringify(errorMessage(error)) })),
          signals: [],
        };
      }
    }
    if (this.instances.closed) {
      return; // stopped meanwhile: the batch runs again after a restart, as after a crash
    }
    this.commit(record, batch, result);
  }

  private commit(record: EntityRecord, batch: EntityRequest[], result: EntityBatchResult): void {
    const now = iso(this.clock.now());
    const outbox: EntityOutboxMessage[] = [];
    batch.forEach((request, i) => {
      if (request.parent && !request.signal) {
        const { instanceId, executionId } = request.parent;
        const event = entityResponseEvent(request.id, result.results[i] ?? { isError: false }, now);
        outbox.push({ kind: 'response', instanceId, executionId, event });
      }
    });
    for (const signal of result.signals) {
      const { name, key } = signal.target;
      const input = signal.input === '' ? undefined : signal.input;
      outbox.push({
        kind: 'signal',
        name,
        key,
        request: { id: randomUUID(), op: signal.name, signal: true, input },
      });
    }
    record.exists = result.entityExists;
    record.stateJson = result.entityExists ? result.entityState : undefined;
    record.queue = record.queue.slice(batch.length);
    record.recentRequestIds = [...record.recentRequestIds, ...batch.map((r) => r.id)].slice(
      -RECENT_REQUEST_IDS,
    );
    record.outbox = outbox;
    record.lastModifiedTime = now;
    this.persist(record);
    this.flushOutbox(record);
  }

  /** Sends what a committed batch left to send; an answer the caller already has is not sent twice. */
  private flushOutbox(record: EntityRecord): void {
    if (!record.outbox || record.outbox.length === 0 || this.instances.closed) {
      return;
    }
    for (const message of record.outbox) {
      if (message.kind === 'signal') {
        this.enqueue(message.name, message.key, message.request);
        continue;
      }
      const sender = this.instances.get(message.instanceId);
      if (sender && !hasEventNamed(sender, message.event.Name)) {
        this.instances.deliver(sender, message.executionId, message.event);
      }
    }
    record.outbox = [];
    this.persist(record);
  }

  private persist(record: EntityRecord): void {
    if (!this.instances.closed) {
      this.files?.save(record);
    }
  }

  private createContext(functionName: string, record: EntityRecord): InvocationContext {
    return new InvocationContext({
      invocationId: randomUUID(),
      functionName,
      logHandler: this.logHandler,
      triggerMetadata: { instanceId: record.instanceId },
      options: {
        trigger: { type: 'entityTrigger', name: `${functionName}Trigger` },
        extraInputs: [],
        extraOutputs: [],
      },
    });
  }
}
