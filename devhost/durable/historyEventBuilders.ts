import { HistoryEventType } from './historyEvent';
import type { FailureDetailsPayload, HistoryEvent } from './historyEvent';
import type { InstanceRecord, TaskRecord } from './instanceRecord';
import { errorMessage, toJsonText } from './jsonText';

/*
 * The history events the engine writes, in the extension's wire format. Events the engine records itself
 * (scheduled/created, orchestrator start/end, outcomes) are IsPlayed: true; events that arrive in an
 * instance's inbox (completions, timers fired, external events) are IsPlayed: false until an episode
 * consumes them.
 */

function arriving(type: HistoryEventType, now: string): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: now };
}

export function executionStartedEvent(
  name: string,
  inputJson: string | undefined,
  parent: InstanceRecord['parent'],
  now: string,
): HistoryEvent {
  return {
    ...arriving(HistoryEventType.ExecutionStarted, now),
    Name: name,
    Input: inputJson,
    Version: '',
    ParentInstance: parent
      ? { InstanceId: parent.instanceId, TaskScheduledId: parent.taskScheduledId, Name: name }
      : null,
  };
}

export function eventRaisedEvent(name: string, dataJson: string | undefined, now: string): HistoryEvent {
  return { ...arriving(HistoryEventType.EventRaised, now), Name: name, Input: dataJson };
}

export function executionTerminatedEvent(reason: string | undefined, now: string): HistoryEvent {
  return {
    ...arriving(HistoryEventType.ExecutionTerminated, now),
    Input: reason === undefined ? undefined : toJsonText(reason),
  };
}

export function orchestratorStartedEvent(now: string, isPlayed: boolean): HistoryEvent {
  return { EventType: HistoryEventType.OrchestratorStarted, EventId: -1, IsPlayed: isPlayed, Timestamp: now };
}

export function orchestratorCompletedEvent(now: string): HistoryEvent {
  return { EventType: HistoryEventType.OrchestratorCompleted, EventId: -1, IsPlayed: true, Timestamp: now };
}

export function taskScheduledEvent(task: TaskRecord, now: string): HistoryEvent {
  return {
    EventType: HistoryEventType.TaskScheduled,
    EventId: task.seq,
    IsPlayed: true,
    Timestamp: now,
    Name: task.name,
    Input: task.inputJson,
  };
}

export function subOrchestrationCreatedEvent(task: TaskRecord, now: string): HistoryEvent {
  return {
    EventType: HistoryEventType.SubOrchestrationInstanceCreated,
    EventId: task.seq,
    IsPlayed: true,
    Timestamp: now,
    Name: task.name,
    InstanceId: task.childInstanceId,
    Input: task.inputJson,
  };
}

export function timerCreatedEvent(task: TaskRecord, now: string): HistoryEvent {
  return {
    EventType: HistoryEventType.TimerCreated,
    EventId: task.seq,
    IsPlayed: true,
    Timestamp: now,
    FireAt: task.fireAt,
  };
}

/**
 * What the extension records when an orchestration calls or signals an entity: the request message
 * (durable-functions reads its `id` to match the response) sent to the entity's scheduler id.
 */
export function eventSentEvent(
  seq: number,
  schedulerId: string,
  request: Record<string, unknown>,
  now: string,
): HistoryEvent {
  return {
    EventType: HistoryEventType.EventSent,
    EventId: seq,
    IsPlayed: true,
    Timestamp: now,
    Name: 'op',
    InstanceId: schedulerId,
    Input: JSON.stringify(request),
  };
}

/** An entity's answer to a call: an event named after the request id carrying the ResponseMessage. */
export function entityResponseEvent(
  requestId: string,
  outcome: { isError: boolean; result?: string },
  now: string,
): HistoryEvent {
  const response = outcome.isError
    ? { result: outcome.result ?? null, exceptionType: 'System.Exception' }
    : { result: outcome.result ?? null };
  return eventRaisedEvent(requestId, JSON.stringify(response), now);
}

export function timerFiredEvent(task: TaskRecord, now: string): HistoryEvent {
  return { ...arriving(HistoryEventType.TimerFired, now), TimerId: task.seq, FireAt: task.fireAt };
}

export function executionCompletedEvent(output: unknown, now: string): HistoryEvent {
  return {
    EventType: HistoryEventType.ExecutionCompleted,
    EventId: -1,
    IsPlayed: true,
    Timestamp: now,
    Result: toJsonText(output),
    OrchestrationStatus: 'Completed',
  };
}

export function executionFailedEvent(message: string, now: string): HistoryEvent {
  return {
    EventType: HistoryEventType.ExecutionCompleted,
    EventId: -1,
    IsPlayed: true,
    Timestamp: now,
    Result: message,
    OrchestrationStatus: 'Failed',
    FailureDetails: { ErrorType: 'OrchestrationFailureException', ErrorMessage: message },
  };
}

export function subOrchestrationCompletedEvent(
  taskScheduledId: number,
  output: unknown,
  now: string,
): HistoryEvent {
  return {
    ...arriving(HistoryEventType.SubOrchestrationInstanceCompleted, now),
    TaskScheduledId: taskScheduledId,
    Result: toJsonText(output),
  };
}

/** `exceptionType` is the .NET type the extension names in Details (System.Exception, System.ArgumentException). */
export function subOrchestrationFailedEvent(
  taskScheduledId: number,
  reason: string,
  exceptionType: string,
  message: string,
  now: string,
): HistoryEvent {
  return {
    ...arriving(HistoryEventType.SubOrchestrationInstanceFailed, now),
    TaskScheduledId: taskScheduledId,
    Reason: reason,
    Details: JSON.stringify({ $type: exceptionType, Message: message }),
  };
}

export function taskCompletedEvent(taskScheduledId: number, result: unknown, now: string): HistoryEvent {
  return {
    ...arriving(HistoryEventType.TaskCompleted, now),
    TaskScheduledId: taskScheduledId,
    Result: toJsonText(result),
  };
}

export function taskFailedEvent(
  taskScheduledId: number,
  activityName: string,
  error: unknown,
  now: string,
): HistoryEvent {
  return {
    ...arriving(HistoryEventType.TaskFailed, now),
    TaskScheduledId: taskScheduledId,
    ...activityFailure(activityName, error),
  };
}

/** TaskFailed fields the way the extension reports a failed JavaScript activity. */
function activityFailure(
  name: string,
  error: unknown,
): { Reason: string; Details: string; FailureDetails: FailureDetailsPayload | null } {
  const message = errorMessage(error);
  // With an ExceptionPropertiesProvider registered, durable-functions puts failure-details JSON in the message.
  try {
    const parsed = JSON.parse(message) as { errorType?: unknown; errorMessage?: unknown };
    if (parsed && typeof parsed.errorType === 'string' && typeof parsed.errorMessage === 'string') {
      const details = parsed as {
        errorType: string;
        errorMessage: string;
        stackTrace?: string;
        isNonRetriable?: boolean;
        properties?: Record<string, unknown>;
      };
      return {
        Reason: `Activity function '${name}' failed: ${details.errorMessage}`,
        Details: message,
        FailureDetails: {
          ErrorType: details.errorType,
          ErrorMessage: details.errorMessage,
          StackTrace: details.stackTrace,
          IsNonRetriable: details.isNonRetriable ?? false,
          Properties: details.properties,
        },
      };
    }
  } catch {
    // not failure-details JSON
  }
  return {
    Reason: `Activity function '${name}' failed: ${message}`,
    Details: JSON.stringify({
      $type: 'System.Exception',
      Message: message,
      StackTrace: error instanceof Error ? error.stack : undefined,
    }),
    FailureDetails: null,
  };
}
