import type { JobView } from '../../functions/status/jobStatus';

/**
 * A status-API job view for tests that format or merge views without running an orchestration: a first attempt
 * being watched, every optional field empty; `over` sets what the test is about.
 */
export function jobView(over: Partial<JobView> = {}): JobView {
  return {
    instanceId: 'hello-0123456789abcdef-a1',
    eventId: null,
    eventSource: null,
    route: 'hello',
    attempt: 1,
    resubmission: 0,
    phase: 'Watching',
    runtimeStatus: 'Running',
    exitCode: null,
    containerGroup: 'g',
    createdTime: '2026-01-01T00:00:00.000Z',
    lastUpdatedTime: '2026-01-01T00:00:00.000Z',
    reason: null,
    maxAttempts: null,
    polls: 0,
    deadline: null,
    target: null,
    description: null,
    nextAttemptAt: null,
    logTail: null,
    callback: null,
    output: null,
    outputError: null,
    ...over,
  };
}
