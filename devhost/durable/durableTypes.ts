import type { FunctionHandler } from '@azure/functions';
import type { RuntimeStatus } from './durableErrors';
import type { HistoryEvent } from './historyEvent';

/** What `df.app.orchestration` / `df.app.activity` hand to `app.generic`. */
export type DurableFunctionHandler = FunctionHandler;

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

export function newCounterSet(): DurableCounterSet {
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

export function newCounters(): DurableCounters {
  return {
    ...newCounterSet(),
    orchestrationsStarted: 0,
    orchestrationsCompleted: 0,
    orchestrationsFailed: 0,
    orchestrationsTerminated: 0,
    peakConcurrentActivities: 0,
    peakConcurrentEpisodes: 0,
  };
}
