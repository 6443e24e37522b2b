export { DurableEngine } from './durableEngine';
export { DurableRuntime } from './durableRuntime';
export type { DurableClientBindingData } from './clientBindingData';
export type { DurableEngineOptions } from './engineSettings';
export type {
  DurableCounterSet,
  DurableCounters,
  DurableFunctionHandler,
  InstanceQuery,
  InstanceStatus,
  StartOrchestrationOptions,
  WaitForInstanceOptions,
} from './durableTypes';
export {
  DurableNotFoundError,
  DurableStateError,
  OrchestrationAlreadyExistsError,
  TERMINAL_STATUSES,
} from './durableErrors';
export type { RuntimeStatus } from './durableErrors';
export { RealClock, VirtualClock } from './clock';
export type { Clock, ClockTimer } from './clock';
export { DurableHttpApi } from './durableHttpApi';
export { HistoryEventType } from './historyEvent';
export type { FailureDetailsPayload, HistoryEvent } from './historyEvent';
export { createInvocationContextWithDurableClient } from './createInvocationContextWithDurableClient';
