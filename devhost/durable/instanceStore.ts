import { VirtualClock } from './clock';
import type { Clock } from './clock';
import { DurableNotFoundError, TERMINAL_STATUSES } from './durableErrors';
import type { RuntimeStatus } from './durableErrors';
import type { InstanceQuery, InstanceStatus, WaitForInstanceOptions } from './durableTypes';
import type { HistoryEvent } from './historyEvent';
import type { InstanceFileStore } from './instanceFileStore';
import type { InstanceRecord } from './instanceRecord';
import { iso, parseJsonText } from './jsonText';

/**
 * The engine's instances: the records in memory, written through to the file store after every change,
 * the inbox each instance receives work in, the status views the client sees and the listeners waiting on
 * a status. Once closed (engine stopped) nothing is written or delivered any more, as after a crash.
 */
export class InstanceStore {
  private readonly records = new Map<string, InstanceRecord>();
  private readonly statusListeners = new Set<(record: InstanceRecord) => void>();
  private isClosed = false;

  /** @param onDelivered called when an instance's inbox got an event (to schedule an episode for it). */
  constructor(
    private readonly clock: Clock,
    private readonly files: InstanceFileStore<InstanceRecord> | undefined,
    private readonly onDelivered: (instanceId: string) => void,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  close(): void {
    this.isClosed = true;
  }

  /** Adds the persisted records not already in memory; returns every record. */
  loadPersisted(): InstanceRecord[] {
    for (const record of this.files?.loadAll() ?? []) {
      if (!this.records.has(record.instanceId)) {
        this.records.set(record.instanceId, record);
      }
    }
    return [...this.records.values()];
  }

  get(instanceId: string): InstanceRecord | undefined {
    return this.records.get(instanceId);
  }

  require(instanceId: string): InstanceRecord {
    const record = this.records.get(instanceId);
    if (!record) {
      throw new DurableNotFoundError(`No instance with ID '${instanceId}' found.`);
    }
    return record;
  }

  all(): InstanceRecord[] {
    return [...this.records.values()];
  }

  add(record: InstanceRecord): void {
    this.records.set(record.instanceId, record);
  }

  remove(instanceId: string): void {
    this.records.delete(instanceId);
    this.files?.delete(instanceId);
  }

  persist(record: InstanceRecord): void {
    if (!this.isClosed) {
      this.files?.save(record);
    }
  }

  /** True when the instance has inbox events an episode should run for. */
  hasPendingWork(instanceId: string): boolean {
    const record = this.records.get(instanceId);
    return record !== undefined && record.inbox.length > 0 && !TERMINAL_STATUSES.includes(record.status);
  }

  /** Queues an event for the instance's execution; dropped if that execution is over or replaced. */
  deliver(record: InstanceRecord, executionId: string, event: HistoryEvent): void {
    if (this.isClosed || record.executionId !== executionId || TERMINAL_STATUSES.includes(record.status)) {
      return;
    }
    record.inbox.push({ executionId, event });
    this.persist(record);
    this.onDelivered(record.instanceId);
  }

  setStatus(record: InstanceRecord, status: RuntimeStatus): void {
    record.status = status;
    record.lastUpdatedTime = iso(this.clock.now());
  }

  notify(record: InstanceRecord): void {
    for (const listener of [...this.statusListeners]) {
      listener(record);
    }
  }

  toStatus(record: InstanceRecord, options: { showHistory?: boolean; showInput?: boolean }): InstanceStatus {
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

  list(query: InstanceQuery): InstanceStatus[] {
    const result: InstanceStatus[] = [];
    for (const record of this.records.values()) {
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

  /** Resolves with the status once the instance reaches one of `statuses`; rejects after `timeoutMs` of real time. */
  waitFor(instanceId: string, options: WaitForInstanceOptions = {}): Promise<InstanceStatus> {
    const statuses = options.statuses ?? [...TERMINAL_STATUSES];
    const timeoutMs = options.timeoutMs ?? 30_000;
    const current = this.records.get(instanceId);
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
        const now = this.records.get(instanceId);
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
}
