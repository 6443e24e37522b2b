import type { InstanceStatus } from './durableTypes';
import { HistoryEventType, historyEventTypeName } from './historyEvent';
import type { HistoryEvent } from './historyEvent';

/** .NET DateTime.ToString("s") + "Z": what the extension puts in createdTime / lastUpdatedTime. */
function formatStatusTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** An instance's status the way the extension's HTTP API serializes it. */
export function statusPayload(
  status: InstanceStatus,
  showInput: boolean,
  historyOutput: boolean | undefined,
): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    name: status.name,
    instanceId: status.instanceId,
    runtimeStatus: status.runtimeStatus,
    input: showInput ? status.input : null,
    customStatus: status.customStatus,
    output: status.output,
    createdTime: formatStatusTime(status.createdTime),
    lastUpdatedTime: formatStatusTime(status.lastUpdatedTime),
  };
  if (historyOutput !== undefined && status.history) {
    payload.historyEvents = friendlyHistory(status.history, historyOutput);
  }
  return payload;
}

/** History in the shape the extension's status API returns with showHistory=true (`historyEvents`). */
function friendlyHistory(events: HistoryEvent[], showOutput: boolean): Array<Record<string, unknown>> {
  const scheduled = new Map<number, HistoryEvent>();
  const result: Array<Record<string, unknown>> = [];
  for (const event of events) {
    switch (event.EventType) {
      case HistoryEventType.TaskScheduled:
      case HistoryEventType.SubOrchestrationInstanceCreated:
      case HistoryEventType.TimerCreated:
        scheduled.set(event.EventId, event);
        if (event.EventType === HistoryEventType.TimerCreated) {
          result.push({ EventType: 'TimerCreated', FireAt: event.FireAt, Timestamp: event.Timestamp });
        }
        break;
      case HistoryEventType.OrchestratorStarted:
      case HistoryEventType.OrchestratorCompleted:
        break;
      case HistoryEventType.ExecutionStarted:
        result.push({ EventType: 'ExecutionStarted', FunctionName: event.Name, Timestamp: event.Timestamp });
        break;
      case HistoryEventType.TaskCompleted:
      case HistoryEventType.TaskFailed:
      case HistoryEventType.SubOrchestrationInstanceCompleted:
      case HistoryEventType.SubOrchestrationInstanceFailed: {
        const origin = scheduled.get(event.TaskScheduledId ?? -1);
        const entry: Record<string, unknown> = {
          EventType: historyEventTypeName(event.EventType),
          FunctionName: origin?.Name,
          ScheduledTime: origin?.Timestamp,
          Timestamp: event.Timestamp,
        };
        if (
          event.EventType === HistoryEventType.TaskFailed ||
          event.EventType === HistoryEventType.SubOrchestrationInstanceFailed
        ) {
          entry.Reason = event.Reason;
          entry.Details = event.Details;
        } else if (showOutput) {
          entry.Result = event.Result === undefined ? null : (JSON.parse(event.Result) as unknown);
        }
        result.push(entry);
        break;
      }
      case HistoryEventType.TimerFired:
        result.push({ EventType: 'TimerFired', FireAt: event.FireAt, Timestamp: event.Timestamp });
        break;
      case HistoryEventType.EventRaised:
        result.push({
          EventType: 'EventRaised',
          Name: event.Name,
          ...(showOutput
            ? { Input: event.Input === undefined ? null : (JSON.parse(event.Input) as unknown) }
            : {}),
          Timestamp: event.Timestamp,
        });
        break;
      default: {
        const entry: Record<string, unknown> = {
          EventType: historyEventTypeName(event.EventType),
          Timestamp: event.Timestamp,
        };
        if (event.OrchestrationStatus) {
          entry.OrchestrationStatus = event.OrchestrationStatus;
        }
        if (showOutput && event.Result !== undefined) {
          entry.Result = event.Result;
        }
        result.push(entry);
      }
    }
  }
  return result;
}
