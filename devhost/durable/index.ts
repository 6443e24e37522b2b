export { DurableEngine } from './durableEngine';
export type {
  DurableClientBindingData,
  DurableCounterSet,
  DurableCounters,
  DurableEngineOptions,
  DurableFunctionHandler,
  InstanceQuery,
  InstanceStatus,
  StartOrchestrationOptions,
  WaitForInstanceOptions,
} from './durableEngine';
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
