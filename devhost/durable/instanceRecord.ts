import type { RuntimeStatus } from './durableErrors';
import type { DurableCounterSet } from './durableTypes';
import type { EntityRequest } from './entityRecord';
import type { HistoryEvent } from './historyEvent';

/** Retry options as durable-functions serializes them into a *WithRetry action. */
export interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export type LeafKind = 'activity' | 'timer' | 'subOrchestration' | 'wait' | 'entityCall' | 'entitySignal';

/** One action leaf the orchestrator produced, in order (compound WhenAny/WhenAll flattened). */
export interface LeafRecord {
  index: number;
  actionType: number;
  kind: LeafKind;
  signature: string;
  name?: string;
  seq?: number;
  fireAt?: string;
  canceled?: boolean;
}

export type TaskKind =
  'activity' | 'timer' | 'subOrchestration' | 'retryTimer' | 'entityCall' | 'entitySignal';

/** Something holding a sequence number: what completion events refer to by TaskScheduledId / TimerId. */
export interface TaskRecord {
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
  /** Entity calls and signals: the target (`@name@key`) and the request sent to it. */
  entityId?: string;
  request?: EntityRequest;
  /** The entity has queued the request (persisted), so a restart need not send it again. */
  delivered?: boolean;
  done: boolean;
}

export interface InboxMessage {
  executionId: string;
  event: HistoryEvent;
}

/** Everything the engine knows about one instance; this is what is persisted (one file per instance). */
export interface InstanceRecord {
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

export interface ActivityWorkItem {
  instanceId: string;
  executionId: string;
  seq: number;
  name: string;
  inputJson?: string;
}

/** Work an episode decided on, started only once its history is committed. */
export interface SideEffects {
  activities: ActivityWorkItem[];
  timers: TaskRecord[];
  children: Array<{ task: TaskRecord; inputJson?: string }>;
  /** Entity calls and signals to send. */
  entityRequests: TaskRecord[];
}

export function activityWorkItem(record: InstanceRecord, task: TaskRecord): ActivityWorkItem {
  return {
    instanceId: record.instanceId,
    executionId: record.executionId,
    seq: task.seq,
    name: task.name ?? '',
    inputJson: task.inputJson,
  };
}
