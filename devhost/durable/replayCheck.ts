import type { LeafRecord } from './instanceRecord';
import { actionSignature, fireAtIso, leafKind, type SerializedAction } from './orchestratorActions';
import { processedInputToJsonText } from './jsonText';

/** The extension's wording, so failures read the same locally as in Azure. */
export const NON_DETERMINISTIC_PREFIX = 'Non-Deterministic workflow detected: ';
const CHANGED_CODE_HINT =
  'Was a change made to the orchestrator code after this instance had already started running?';

function describeLeaf(leaf: LeafRecord): string {
  switch (leaf.kind) {
    case 'activity':
      return `an activity task with sequence number ${leaf.seq} named '${leaf.name}'`;
    case 'subOrchestration':
      return `a sub-orchestration with sequence number ${leaf.seq} named '${leaf.name}'`;
    case 'timer':
      return `a timer task with sequence number ${leaf.seq} firing at ${leaf.fireAt}`;
    case 'entityCall':
    case 'entitySignal':
      return `an entity ${leaf.kind === 'entityCall' ? 'call' : 'signal'} with sequence number ${leaf.seq} for operation '${leaf.name}'`;
    default:
      return `a wait for external event '${leaf.name}'`;
  }
}

function describeAction(action: SerializedAction): string {
  switch (leafKind(action)) {
    case 'activity':
      return `a ScheduleTaskOrchestratorAction for activity '${action.functionName}' with input ${processedInputToJsonText(action.input) ?? 'undefined'}`;
    case 'subOrchestration':
      return `a CreateSubOrchestrationAction for '${action.functionName}'`;
    case 'timer':
      return `a CreateTimerOrchestratorAction firing at ${fireAtIso(action)}`;
    case 'entityCall':
    case 'entitySignal':
      return `an entity operation '${action.operation}' on ${action.instanceId}`;
    default:
      return `a wait for external event '${action.externalEventName}'`;
  }
}

/**
 * Compares what earlier episodes recorded with what this replay produced; returns the mismatch (without
 * the prefix) or undefined when replay reproduced every recorded decision.
 */
export function findReplayMismatch(recorded: LeafRecord[], leaves: SerializedAction[]): string | undefined {
  for (const leaf of recorded) {
    const action = leaves[leaf.index];
    if (!action) {
      return `A previous execution of this orchestration scheduled ${describeLeaf(leaf)}, but the current replay execution hasn't (yet?) scheduled this task. ${CHANGED_CODE_HINT}`;
    }
    if (actionSignature(action) !== leaf.signature) {
      return `A previous execution of this orchestration scheduled ${describeLeaf(leaf)}, but the current orchestration replay instead produced ${describeAction(action)}. ${CHANGED_CODE_HINT}`;
    }
  }
  return undefined;
}
