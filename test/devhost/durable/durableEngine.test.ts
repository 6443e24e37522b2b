import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import * as path from 'node:path';
import type { DurableEngine } from '../../../devhost/durable/durableEngine';
import { HistoryEventType } from '../../../devhost/durable/historyEvent';
import type { HistoryEvent } from '../../../devhost/durable/historyEvent';
import { createRegistry, loadApp } from '../../../devhost/registrations/captureRegistrations';
import { captureDurableFunctions, offsets, startHarness, type DurableHarness } from './durableHarness';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** What the test activities saw: name, input and the virtual time of each call. */
let calls: Array<{ name: string; input: unknown; at: number }> = [];
let nowFn: () => number = () => 0;
let failuresLeft = 0;
let useRenamedActivity = false;

function record(name: string, input: unknown): void {
  calls.push({ name, input, at: nowFn() });
}

function at(context: OrchestrationContext, ms: number): Date {
  return new Date(context.df.currentUtcDateTime.getTime() + ms);
}

const registry = captureDurableFunctions(() => {
  df.app.activity('echo', {
    handler: (input: unknown) => {
      record('echo', input);
      return input;
    },
  });
  df.app.activity('upper', {
    handler: (input: string) => {
      record('upper', input);
      return input.toUpperCase();
    },
  });
  df.app.activity('flaky', {
    handler: (input: unknown) => {
      record('flaky', input);
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error(`transient failure, ${failuresLeft} left`);
      }
      return 'ok';
    },
  });
  df.app.activity('boom', {
    handler: () => {
      record('boom', null);
      throw new Error('kaboom');
    },
  });
  df.app.activity('stepA', { handler: () => record('stepA', null) });
  df.app.activity('stepB', { handler: () => record('stepB', null) });

  df.app.orchestration('chain', function* (context: OrchestrationContext) {
    const a = (yield context.df.callActivity('upper', context.df.getInput<string>())) as string;
    const b = (yield context.df.callActivity('echo', { previous: a })) as { previous: string };
    const c = (yield context.df.callActivity('upper', `${b.previous}-done`)) as string;
    return c;
  });

  df.app.orchestration('fanOut', function* (context: OrchestrationContext) {
    const items = context.df.getInput<string[]>();
    const results = (yield context.df.Task.all(
      items.map((i) => context.df.callActivity('upper', i)),
    )) as string[];
    return results.join(',');
  });

  df.app.orchestration('race', function* (context: OrchestrationContext) {
    const cancelLoser = context.df.getInput<boolean>();
    const work = context.df.callActivity('echo', 'work');
    const timeout: TimerTask = context.df.createTimer(at(context, HOUR));
    const winner = (yield context.df.Task.any([work, timeout])) as Task;
    if (winner === work && cancelLoser) {
      timeout.cancel();
    }
    return winner === work ? 'work' : 'timeout';
  });

  df.app.orchestration('retrying', function* (context: OrchestrationContext) {
    const options = context.df.getInput<{
      first: number;
      attempts: number;
      backoff?: number;
      max?: number;
      timeout?: number;
    }>();
    const retry = new df.RetryOptions(options.first, options.attempts);
    if (options.timeout !== undefined) {
      retry.retryTimeoutInMilliseconds = options.timeout;
    }
    if (options.backoff !== undefined) {
      retry.backoffCoefficient = options.backoff;
    }
    if (options.max !== undefined) {
      retry.maxRetryIntervalInMilliseconds = options.max;
    }
    try {
      return (yield context.df.callActivityWithRetry('flaky', retry, 'payload')) as string;
    } catch (error) {
      return `gave up: ${(error as Error).message.split('\n')[0]}`;
    }
  });

  df.app.orchestration('approval', function* (context: OrchestrationContext) {
    const waitFirst = context.df.getInput<{ delayBeforeWait: number }>();
    if (waitFirst.delayBeforeWait > 0) {
      yield context.df.createTimer(at(context, waitFirst.delayBeforeWait));
    }
    context.df.setCustomStatus({ phase: 'waiting', since: context.df.currentUtcDateTime.toISOString() });
    const approval = context.df.waitForExternalEvent('Approval');
    const deadline = context.df.createTimer(at(context, 24 * HOUR));
    const winner = (yield context.df.Task.any([approval, deadline])) as Task;
    if (winner === approval) {
      deadline.cancel();
      context.df.setCustomStatus({ phase: 'approved' });
      return { approved: approval.result };
    }
    context.df.setCustomStatus({ phase: 'timedOut' });
    return { approved: false };
  });

  df.app.orchestration('child', function* (context: OrchestrationContext) {
    const input = context.df.getInput<{ value: string; fail?: boolean }>();
    if (input.fail) {
      throw new Error(`child refused ${input.value}`);
    }
    return (yield context.df.callActivity('upper', input.value)) as string;
  });

  df.app.orchestration('parent', function* (context: OrchestrationContext) {
    const fail = context.df.getInput<boolean>();
    try {
      const result = (yield context.df.callSubOrchestrator('child', { value: 'sub', fail })) as string;
      return `child said ${result}`;
    } catch (error) {
      return `child failed: ${(error as Error).message.split('\n')[0]}`;
    }
  });

  df.app.orchestration('flakyChild', function* (context: OrchestrationContext) {
    return (yield context.df.callActivity('flaky', context.df.getInput<string>())) as string;
  });

  df.app.orchestration('parentWithRetry', function* (context: OrchestrationContext) {
    return (yield context.df.callSubOrchestratorWithRetry(
      'flakyChild',
      new df.RetryOptions(1000, 3),
      'x',
    )) as string;
  });

  df.app.orchestration('accumulate', function* (context: OrchestrationContext) {
    const state = context.df.getInput<{ total: number; left: number }>();
    const n = (yield context.df.waitForExternalEvent('add')) as number;
    const next = { total: state.total + n, left: state.left - 1 };
    if (next.left > 0) {
      context.df.continueAsNew(next);
      return undefined;
    }
    return next.total;
  });

  df.app.orchestration('counterLoop', function* (context: OrchestrationContext) {
    const state = context.df.getInput<{ i: number; until: number; every: number }>();
    let { i } = state;
    for (let n = 0; n < state.every && i < state.until; n++) {
      yield context.df.callActivity('echo', i);
      yield context.df.createTimer(at(context, 15 * MINUTE));
      i++;
    }
    if (i < state.until) {
      context.df.continueAsNew({ ...state, i });
      return undefined;
    }
    return i;
  });

  df.app.orchestration('failing', function* (context: OrchestrationContext) {
    yield context.df.callActivity('echo', 'before');
    yield context.df.callActivity('boom');
    return 'unreachable';
  });

  df.app.orchestration('catching', function* (context: OrchestrationContext) {
    try {
      yield context.df.callActivity('boom');
      return 'no error?';
    } catch (error) {
      return `caught: ${(error as Error).message}`;
    }
  });

  df.app.orchestration('changing', function* (context: OrchestrationContext) {
    yield context.df.callActivity(useRenamedActivity ? 'stepB' : 'stepA');
    yield context.df.createTimer(at(context, MINUTE));
    return 'done';
  });

  df.app.orchestration('monitor', function* (context: OrchestrationContext) {
    const input = context.df.getInput<{ polls: number; done: number; every: number }>();
    let polls = input.polls;
    for (let n = 0; n < input.every && polls < input.done; n++) {
      yield context.df.callActivity('echo', context.df.currentUtcDateTime.toISOString());
      yield context.df.createTimer(at(context, 15 * MINUTE));
      polls++;
    }
    if (polls < input.done) {
      context.df.continueAsNew({ ...input, polls });
      return undefined;
    }
    return { polls, finishedAt: context.df.currentUtcDateTime.toISOString() };
  });

  df.app.orchestration('longSleep', function* (context: OrchestrationContext) {
    yield context.df.createTimer(at(context, 10 * 24 * HOUR));
    return context.df.currentUtcDateTime.toISOString();
  });
});

function types(history: HistoryEvent[]): HistoryEventType[] {
  return history.map((e) => e.EventType);
}

function count(history: HistoryEvent[], type: HistoryEventType): number {
  return history.filter((e) => e.EventType === type).length;
}

describe('DurableEngine with the real durable-functions replay and DurableClient', () => {
  let h: DurableHarness;
  let engine: DurableEngine;

  async function start(options: Parameters<typeof startHarness>[1] = {}): Promise<DurableHarness> {
    h = await startHarness(registry, options);
    engine = h.engine;
    nowFn = () => h.clock.now();
    return h;
  }

  beforeEach(() => {
    calls = [];
    failuresLeft = 0;
    useRenamedActivity = false;
  });

  afterEach(async () => {
    await h?.engine.stop();
  });

  it('runs an activity chain and reports the result through getStatus', async () => {
    await start();
    const id = await h.client.startNew('chain', { input: 'abc' });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe('ABC-DONE');
    expect(status.input).toBe('abc');
    expect(calls.map((c) => [c.name, c.input])).toEqual([
      ['upper', 'abc'],
      ['echo', { previous: 'ABC' }],
      ['upper', 'ABC-done'],
    ]);
    const history = engine.getHistory(id);
    expect(types(history).slice(0, 4)).toEqual([
      HistoryEventType.OrchestratorStarted,
      HistoryEventType.ExecutionStarted,
      HistoryEventType.TaskScheduled,
      HistoryEventType.OrchestratorCompleted,
    ]);
    expect(
      history.filter((e) => e.EventType === HistoryEventType.TaskScheduled).map((e) => e.EventId),
    ).toEqual([0, 1, 2]);
    expect(engine.counters.episodes).toBe(4);
    expect(engine.counters.activityCalls).toBe(3);
  });

  it('fans out and in with Task.all, numbering the tasks in yield order', async () => {
    await start();
    const id = await h.client.startNew('fanOut', { input: ['a', 'b', 'c', 'd'] });
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.output).toBe('A,B,C,D');
    const scheduled = engine.getHistory(id).filter((e) => e.EventType === HistoryEventType.TaskScheduled);
    expect(scheduled.map((e) => [e.EventId, e.Input])).toEqual([
      [0, '"a"'],
      [1, '"b"'],
      [2, '"c"'],
      [3, '"d"'],
    ]);
    expect(engine.counters.peakConcurrentActivities).toBe(4);
  });

  it('completes a timer-vs-activity race without waiting for the cancelled timer', async () => {
    await start();
    const startedAt = h.clock.now();
    const id = await h.client.startNew('race', { input: true });
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe('work');
    expect(h.clock.now() - startedAt).toBe(0);
    const history = engine.getHistory(id);
    expect(count(history, HistoryEventType.TimerCreated)).toBe(1);
    expect(count(history, HistoryEventType.TimerFired)).toBe(0);
  });

  it('keeps an instance Running until a timer that was NOT cancelled fires', async () => {
    await start();
    const startedAt = h.clock.now();
    const id = await h.client.startNew('race', { input: false });
    await engine.waitForIdle();
    expect((await h.client.getStatus(id)).runtimeStatus).toBe('Running');
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe('work');
    expect(h.clock.now() - startedAt).toBe(HOUR);
  });

  it('retries with first interval and backoff like the extension (timers between attempts)', async () => {
    await start();
    failuresLeft = 2;
    const t0 = h.clock.now();
    const id = await h.client.startNew('retrying', { input: { first: 5000, attempts: 4, backoff: 2 } });
    await engine.runUntilIdle();
    expect((await h.client.getStatus(id)).output).toBe('ok');
    expect(
      offsets(
        calls.map((c) => c.at),
        t0,
      ),
    ).toEqual([0, 5000, 15000]);
    const history = engine.getHistory(id);
    expect(
      history
        .filter((e) => [HistoryEventType.TaskScheduled, HistoryEventType.TimerCreated].includes(e.EventType))
        .map((e) => [HistoryEventType[e.EventType], e.EventId]),
    ).toEqual([
      ['TaskScheduled', 0],
      ['TimerCreated', 1],
      ['TaskScheduled', 2],
      ['TimerCreated', 3],
      ['TaskScheduled', 4],
    ]);
    expect(count(history, HistoryEventType.TaskFailed)).toBe(2);
    expect(count(history, HistoryEventType.TimerFired)).toBe(2);
  });

  it('caps retry intervals at maxRetryInterval and surfaces the last failure after maxNumberOfAttempts', async () => {
    await start();
    failuresLeft = 100;
    const t0 = h.clock.now();
    const id = await h.client.startNew('retrying', {
      input: { first: 1000, attempts: 4, backoff: 10, max: 3000 },
    });
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe("gave up: Activity function 'flaky' failed: transient failure, 96 left ");
    // attempts at 0, +1 s, +3 s (capped), +3 s; like DurableTask.Core a timer also follows the last failure.
    expect(
      offsets(
        calls.map((c) => c.at),
        t0,
      ),
    ).toEqual([0, 1000, 4000, 7000]);
    expect(count(engine.getHistory(id), HistoryEventType.TimerFired)).toBe(4);
    expect(h.clock.now() - t0).toBe(10000);
  });

  it('stops retrying at retryTimeoutInMilliseconds without a timer, as DurableTask.Core does (and logs why the instance hangs)', async () => {
    const warnings: string[] = [];
    await start({ logHandler: (level, ...args) => level === 'warning' && warnings.push(String(args[0])) });
    failuresLeft = 100;
    const t0 = h.clock.now();
    const id = await h.client.startNew('retrying', {
      input: { first: 1000, attempts: 10, backoff: 2, timeout: 2500 },
    });
    await engine.runUntilIdle();
    // attempts at 0, +1 s, +3 s; at +3 s the timeout (2.5 s) has passed: no further timer
    expect(
      offsets(
        calls.map((c) => c.at),
        t0,
      ),
    ).toEqual([0, 1000, 3000]);
    expect((await h.client.getStatus(id)).runtimeStatus).toBe('Running');
    expect(warnings).toEqual([
      expect.stringContaining(`Retry of 'flaky' in instance '${id}' stopped by retryTimeoutInMilliseconds`),
    ]);
  });

  it('waits for an external event with a timeout: event wins', async () => {
    await start();
    const id = await h.client.startNew('approval', { input: { delayBeforeWait: 0 } });
    await engine.waitForIdle();
    const waiting = await h.client.getStatus(id);
    expect(waiting.runtimeStatus).toBe('Running');
    expect(waiting.customStatus).toEqual({ phase: 'waiting', since: new Date(h.clock.now()).toISOString() });
    await h.client.raiseEvent(id, 'Approval', { by: 'alice' });
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ approved: { by: 'alice' } });
    expect(status.customStatus).toEqual({ phase: 'approved' });
    expect(count(engine.getHistory(id), HistoryEventType.TimerFired)).toBe(0);
  });

  it('waits for an external event with a timeout: deadline wins', async () => {
    await start();
    const t0 = h.clock.now();
    const id = await h.client.startNew('approval', { input: { delayBeforeWait: 0 } });
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.output).toEqual({ approved: false });
    expect(status.customStatus).toEqual({ phase: 'timedOut' });
    expect(h.clock.now() - t0).toBe(24 * HOUR);
  });

  it('buffers an event raised before the orchestrator waits for it', async () => {
    await start();
    const id = await h.client.startNew('approval', { input: { delayBeforeWait: HOUR } });
    await engine.waitForIdle();
    await h.client.raiseEvent(id, 'Approval', 'early');
    await engine.waitForIdle();
    expect((await h.client.getStatus(id)).runtimeStatus).toBe('Running');
    await h.clock.advance(HOUR);
    const status = await engine.waitForInstance(id);
    expect(status.output).toEqual({ approved: 'early' });
  });

  it('runs a sub-orchestration and propagates its result', async () => {
    await start();
    const id = await h.client.startNew('parent', { instanceId: 'parent-1', input: false });
    await engine.runUntilIdle();
    expect((await h.client.getStatus(id)).output).toBe('child said SUB');
    const child = await h.client.getStatus('parent-1:0');
    expect(child.runtimeStatus).toBe('Completed');
    expect(child.input).toEqual({ value: 'sub', fail: false });
    const created = engine
      .getHistory(id)
      .find((e) => e.EventType === HistoryEventType.SubOrchestrationInstanceCreated);
    expect(created).toMatchObject({ EventId: 0, Name: 'child', InstanceId: 'parent-1:0' });
  });

  it('propagates a sub-orchestration failure to the parent as a catchable error', async () => {
    await start();
    const id = await h.client.startNew('parent', { instanceId: 'parent-2', input: true });
    await engine.runUntilIdle();
    expect((await h.client.getStatus(id)).output).toBe(
      "child failed: Orchestrator function 'child' failed: child refused sub ",
    );
    expect((await h.client.getStatus('parent-2:0')).runtimeStatus).toBe('Failed');
  });

  it('retries a failed sub-orchestration with a new child instance after the retry timer', async () => {
    await start();
    failuresLeft = 1;
    const t0 = h.clock.now();
    const id = await h.client.startNew('parentWithRetry', { instanceId: 'p' });
    await engine.runUntilIdle();
    expect((await h.client.getStatus(id)).output).toBe('ok');
    expect((await h.client.getStatus('p:0')).runtimeStatus).toBe('Failed');
    expect((await h.client.getStatus('p:2')).runtimeStatus).toBe('Completed');
    expect(
      offsets(
        calls.map((c) => c.at),
        t0,
      ),
    ).toEqual([0, 1000]);
    const history = engine.getHistory(id);
    expect(
      history
        .filter((e) => e.EventId >= 0)
        .map((e) => [HistoryEventType[e.EventType], e.EventId, e.InstanceId ?? e.FireAt]),
    ).toEqual([
      ['SubOrchestrationInstanceCreated', 0, 'p:0'],
      ['TimerCreated', 1, new Date(t0 + 1000).toISOString()],
      ['SubOrchestrationInstanceCreated', 2, 'p:2'],
    ]);
  });

  it('loops with continueAsNew, keeping each execution history bounded', async () => {
    await start();
    const id = await h.client.startNew('counterLoop', {
      instanceId: 'loop',
      input: { i: 0, until: 30, every: 5 },
    });
    const continued = engine.waitForInstance(id, { statuses: ['ContinuedAsNew'] });
    await engine.runUntilIdle();
    await continued;
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(30);
    expect(engine.counters.continuedAsNew).toBe(5);
    // 5 iterations of (activity + timer) per execution: 42 events at most, however many iterations in total.
    expect(engine.counters.largestHistory).toBe(42);
    expect(engine.instanceCounters(id)?.largestHistory).toBe(engine.counters.largestHistory);
    expect(calls.map((c) => c.input)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // the last execution's history only: it started from i = 25
    expect(engine.getHistory(id)[1]).toMatchObject({
      EventType: HistoryEventType.ExecutionStarted,
      Input: '{"i":25,"until":30,"every":5}',
    });
  });

  it('carries external events an execution did not consume into the next one on continueAsNew', async () => {
    await start();
    const id = await h.client.startNew('accumulate', { input: { total: 0, left: 3 } });
    // all three arrive before the first episode runs: one execution consumes one event each
    engine.raiseEvent(id, 'add', 1);
    engine.raiseEvent(id, 'add', 2);
    engine.raiseEvent(id, 'add', 4);
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(7);
    expect(engine.instanceCounters(id)?.continuedAsNew).toBe(2);
  });

  it('fails the instance when an activity failure is not caught', async () => {
    await start();
    const id = await h.client.startNew('failing');
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toMatch(
      /^Orchestrator function 'failing' failed: Activity function 'boom' failed: kaboom/,
    );
    const failed = engine.getHistory(id).find((e) => e.EventType === HistoryEventType.TaskFailed);
    expect(failed).toMatchObject({ TaskScheduledId: 1, Reason: "Activity function 'boom' failed: kaboom" });
    expect(JSON.parse(failed?.Details ?? '{}')).toMatchObject({ Message: 'kaboom' });
  });

  it('lets the orchestrator catch an activity failure', async () => {
    await start();
    const id = await h.client.startNew('catching');
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(String(status.output)).toMatch(
      /^caught: Activity function 'boom' failed: kaboom \n \{"\$type":"System.Exception","Message":"kaboom"/,
    );
  });

  it('fails a non-deterministic orchestrator with a clear error', async () => {
    await start();
    const id = await h.client.startNew('changing');
    await engine.waitForIdle();
    useRenamedActivity = true; // the "code change" between two episodes
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toBe(
      "Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence number 0 named 'stepA', but the current orchestration replay instead produced a ScheduleTaskOrchestratorAction for activity 'stepB' with input undefined. Was a change made to the orchestrator code after this instance had already started running?",
    );
  });

  it('simulates a 24 h polling workflow in well under a second of real time', async () => {
    await start();
    const t0 = h.clock.now();
    const realStart = Date.now();
    const id = await h.client.startNew('monitor', { input: { polls: 0, done: 96, every: 12 } });
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.output).toEqual({ polls: 96, finishedAt: new Date(t0 + 24 * HOUR).toISOString() });
    expect(Date.now() - realStart).toBeLessThan(5000);
    // currentUtcDateTime seen by the orchestrator moved in exact 15 minute steps
    expect(calls.map((c) => c.input)).toEqual(
      Array.from({ length: 96 }, (_, i) => new Date(t0 + i * 15 * MINUTE).toISOString()),
    );
    expect(engine.counters.timersFired).toBe(96);
    expect(engine.counters.continuedAsNew).toBe(7);
  });

  it('splits a 10 day timer into chunks like the extension and fires it on time', async () => {
    await start();
    const t0 = h.clock.now();
    const id = await h.client.startNew('longSleep');
    await engine.runUntilIdle();
    expect((await h.client.getStatus(id)).output).toBe(new Date(t0 + 10 * 24 * HOUR).toISOString());
    const fireAts = engine
      .getHistory(id)
      .filter((e) => e.EventType === HistoryEventType.TimerCreated)
      .map((e) => (Date.parse(e.FireAt ?? '') - t0) / (24 * HOUR));
    expect(fireAts).toEqual([3, 6, 10]);
  });

  it('respects maxConcurrentActivityFunctions', async () => {
    await start({ maxConcurrentActivityFunctions: 2 });
    const id = await h.client.startNew('fanOut', { input: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] });
    await engine.runUntilIdle();
    expect((await h.client.getStatus(id)).output).toBe('A,B,C,D,E,F,G');
    expect(engine.counters.peakConcurrentActivities).toBe(2);
  });

  it('respects maxConcurrentOrchestratorFunctions and reads limits and hub name from host.json', async () => {
    await start({
      hostJsonPath: path.join(__dirname, '../../fixtures/durable/host.json'),
      appSettings: { DURABLE_TASK_HUB: 'dispatcherLocal' },
    });
    expect(engine.taskHubName).toBe('dispatcherLocal');
    expect(engine.maxConcurrentActivityFunctions).toBe(3);
    expect(engine.maxConcurrentOrchestratorFunctions).toBe(1);
    const ids = await Promise.all(['a', 'b', 'c'].map((s) => h.client.startNew('chain', { input: s })));
    await engine.runUntilIdle();
    for (const id of ids) {
      expect((await h.client.getStatus(id)).runtimeStatus).toBe('Completed');
    }
    expect(engine.counters.peakConcurrentEpisodes).toBe(1);
    expect(h.client.taskHubName).toBe('dispatcherLocal');
  });

  it('runs an unchanged orchestrator module loaded through loadApp', async () => {
    const appRegistry = loadApp(
      [path.join(__dirname, '../../fixtures/durable/helloSequence.ts')],
      createRegistry(),
    );
    expect(appRegistry.list().map((r) => [r.name, r.triggerType])).toEqual([
      ['helloSequence_sayHello', 'activityTrigger'],
      ['helloSequence', 'orchestrationTrigger'],
    ]);
    const logs: unknown[][] = [];
    h = await startHarness(appRegistry, { logHandler: (_level, ...args) => logs.push(args) });
    engine = h.engine;
    const id = await h.client.startNew('helloSequence', { input: ['Tokyo', 'Seattle', 'London'] });
    const status = await engine.waitForInstance(id, { timeoutMs: 5000 });
    expect(status.output).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
    expect((await h.client.getStatus(id)).customStatus).toEqual({ greeted: 3 });
    expect(logs).toContainEqual(['saying hello to Seattle']);
  });

  it('rejects handlers that are not what df.app registers with a clear error', async () => {
    await start();
    const bad = (_input: unknown, _context: InvocationContext): Promise<unknown> =>
      Promise.resolve({ nope: true });
    engine.registerOrchestration('notAnOrchestrator', bad);
    const id = await h.client.startNew('notAnOrchestrator');
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toBe(
      "Orchestrator function 'notAnOrchestrator' did not return an orchestrator state; is it registered with df.app.orchestration?",
    );
  });
});
