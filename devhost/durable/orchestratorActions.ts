import type { LeafKind, RetryOptionsJson } from './instanceRecord';
import { processedInputToJsonText, toJsonText } from './jsonText';

/** durable-functions' ActionType numbers (what an OrchestratorState's actions carry). */
export const ACTION = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

const ACTION_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ACTION).map(([k, v]) => [v, k]),
);

/** One action as the orchestrator state serializes it. */
export interface SerializedAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  retryOptions?: RetryOptionsJson;
  fireAt?: Date | string;
  isCanceled?: boolean;
  externalEventName?: string;
  /** Entity operation (CallEntity / SignalEntity); `instanceId` is then the entity's `@name@key`. */
  operation?: string;
  compoundActions?: SerializedAction[];
}

/** What `df.app.orchestration`'s handler resolves with. */
export interface OrchestratorStateLike {
  isDone: boolean;
  actions: SerializedAction[][];
  output?: unknown;
  customStatus?: unknown;
  error?: string;
}

/**
 * The orchestrator's actions as the ordered leaves the engine numbers (WhenAll/WhenAny opened up, a task
 * yielded again counted once) and the continueAsNew action if there is one. Throws for action types the
 * local engine does not carry out.
 */
export function flattenActions(actions: SerializedAction[][]): {
  leaves: SerializedAction[];
  continueAsNew?: SerializedAction;
} {
  const leaves: SerializedAction[] = [];
  const seen = new Set<SerializedAction>();
  let continueAsNew: SerializedAction | undefined;
  const visit = (action: SerializedAction): void => {
    if (action.actionType === ACTION.WhenAll || action.actionType === ACTION.WhenAny) {
      for (const child of action.compoundActions ?? []) {
        visit(child);
      }
      return;
    }
    // A task yielded again inside Task.any/all is the same action object: it was numbered once.
    if (seen.has(action)) {
      return;
    }
    seen.add(action);
    switch (action.actionType) {
      case ACTION.CallActivity:
      case ACTION.CallActivityWithRetry:
      case ACTION.CallSubOrchestrator:
      case ACTION.CallSubOrchestratorWithRetry:
      case ACTION.CreateTimer:
      case ACTION.WaitForExternalEvent:
      case ACTION.CallEntity:
      case ACTION.SignalEntity:
        leaves.push(action);
        return;
      case ACTION.ContinueAsNew:
        continueAsNew = action;
        return;
      default:
        throw new Error(
          `The local durable engine does not support ${ACTION_NAMES[action.actionType] ?? `action type ${action.actionType}`} actions (callHttp and entity locks are not implemented).`,
        );
    }
  };
  for (const group of actions) {
    for (const action of group) {
      visit(action);
    }
  }
  return { leaves, continueAsNew };
}

export function leafKind(action: SerializedAction): LeafKind {
  switch (action.actionType) {
    case ACTION.CallActivity:
    case ACTION.CallActivityWithRetry:
      return 'activity';
    case ACTION.CallSubOrchestrator:
    case ACTION.CallSubOrchestratorWithRetry:
      return 'subOrchestration';
    case ACTION.CreateTimer:
      return 'timer';
    case ACTION.CallEntity:
      return 'entityCall';
    case ACTION.SignalEntity:
      return 'entitySignal';
    default:
      return 'wait';
  }
}

/** What replay must reproduce of an action: two actions with the same signature are the same decision. */
export function actionSignature(action: SerializedAction): string {
  switch (leafKind(action)) {
    case 'activity':
      return `activity|${action.actionType}|${action.functionName}|${processedInputToJsonText(action.input) ?? ''}`;
    case 'subOrchestration':
      return `sub|${action.actionType}|${action.functionName}|${action.instanceId ?? ''}|${action.input === undefined ? '' : toJsonText(action.input)}`;
    case 'timer':
      return `timer|${fireAtIso(action)}`;
    case 'entityCall':
    case 'entitySignal':
      return `entity|${action.actionType}|${action.instanceId}|${action.operation}|${entityInputJson(action) ?? ''}`;
    default:
      return `wait|${action.externalEventName}`;
  }
}

export function fireAtIso(action: SerializedAction): string {
  const fireAt = action.fireAt instanceof Date ? action.fireAt : new Date(String(action.fireAt));
  return fireAt.toISOString();
}

/** An entity action's input as the request carries it: JSON text, undefined when there is none. */
export function entityInputJson(action: SerializedAction): string | undefined {
  return action.input === undefined ? undefined : JSON.stringify(action.input);
}
