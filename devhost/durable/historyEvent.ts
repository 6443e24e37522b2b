/** EventType numbers of the Durable Task history wire format (durable-functions' HistoryEventType). */
export enum HistoryEventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  SubOrchestrationInstanceCreated = 7,
  SubOrchestrationInstanceCompleted = 8,
  SubOrchestrationInstanceFailed = 9,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventSent = 14,
  EventRaised = 15,
  ContinueAsNew = 16,
  GenericEvent = 17,
  HistoryState = 18,
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

/**
 * One history event as the extension hands it to the JavaScript worker:
 * PascalCase keys, numeric EventType, ISO Timestamp (parsed to Date by the library).
 */
export interface HistoryEvent {
  EventType: HistoryEventType;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string;
  Version?: string;
  Result?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetailsPayload | null;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationStatus?: string;
  ParentInstance?: { InstanceId: string; TaskScheduledId: number; Name: string } | null;
}

export interface FailureDetailsPayload {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable?: boolean;
  Properties?: Record<string, unknown>;
  InnerFailure?: FailureDetailsPayload;
}

/** Event types whose arrival resumes the orchestrator (the ones that go into an episode's "new events"). */
export const COMPLETION_EVENT_TYPES: ReadonlySet<HistoryEventType> = new Set([
  HistoryEventType.ExecutionStarted,
  HistoryEventType.TaskCompleted,
  HistoryEventType.TaskFailed,
  HistoryEventType.SubOrchestrationInstanceCompleted,
  HistoryEventType.SubOrchestrationInstanceFailed,
  HistoryEventType.TimerFired,
  HistoryEventType.EventRaised,
]);

export function historyEventTypeName(type: HistoryEventType): string {
  return HistoryEventType[type] ?? `Unknown(${String(type)})`;
}
