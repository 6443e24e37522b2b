import * as df from 'durable-functions';
import type { EntityContext, OrchestrationContext } from 'durable-functions';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VirtualClock } from '../../../devhost/durable/clock';
import type { DurableEngine } from '../../../devhost/durable/durableEngine';
import type { EntityRecord } from '../../../devhost/durable/entityRecord';
import { HistoryEventType } from '../../../devhost/durable/historyEvent';
import { entityResponseEvent } from '../../../devhost/durable/historyEventBuilders';
import { captureDurableFunctions, startHarness, type DurableHarness } from './durableHarness';

/** Operations the journal entity saw, in the order it ran them, and how many ran at once at most. */
let journal: { active: number; maxActive: number };
/** While set, the counter's `add` waits for it (to stop the engine in the middle of an operation). */
let addGate: Promise<void> | undefined;
let addStarted: (() => void) | undefined;

function counter(context: EntityContext<number>): Promise<void> | void {
  const current = context.df.getState(() => 0) ?? 0;
  switch (context.df.operationName) {
    case 'add': {
      const apply = (): void => context.df.setState(current + (context.df.getInput<number>() ?? 0));
      if (addGate) {
        addStarted?.();
        return addGate.then(apply);
      }
      apply();
      return;
    }
    case 'get':
      context.df.return(current);
      return;
    case 'fail':
      throw new Error('counter refuses');
    default:
      throw new Error(`unknown operation ${context.df.operationName}`);
  }
}

const registry = captureDurableFunctions(() => {
  // durable-functions awaits what an entity handler returns (Entity.handle), though its type says void.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  df.app.entity('counter', counter);
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  df.app.entity('journal', async (context: EntityContext<number[]>) => {
    journal.active++;
    journal.maxActive = Math.max(journal.maxActive, journal.active);
    // A real pause, so requests keep arriving while an operation runs.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const seen = context.df.getState(() => []) ?? [];
    context.df.setState([...seen, context.df.getInput<number>() ?? -1]);
    journal.active--;
  });
  df.app.entity('relay', (context: EntityContext<number>) => {
    const amount = context.df.getInput<number>() ?? 0;
    context.df.signalEntity(new df.EntityId('counter', context.df.entityKey), 'add', amount);
    context.df.setState((context.df.getState(() => 0) ?? 0) + 1);
  });
  df.app.orchestration('countTo', function* (context: OrchestrationContext) {
    const id = new df.EntityId('counter', context.df.getInput<string>());
    context.df.signalEntity(id, 'add', 5);
    context.df.signalEntity(id, 'add', 2);
    const value = (yield context.df.callEntity(id, 'get')) as number;
    return value;
  });
  df.app.orchestration('countLoop', function* (context: OrchestrationContext) {
    const left = context.df.getInput<number>();
    const id = new df.EntityId('counter', 'loop');
    const value = (yield context.df.callEntity(id, 'get')) as number;
    if (left === 0) {
      return value;
    }
    context.df.signalEntity(id, 'add', 10);
    context.df.continueAsNew(left - 1);
    return undefined;
  });
  df.app.orchestration('signalAndReturn', function* (context: OrchestrationContext) {
    context.df.signalEntity(new df.EntityId('counter', 'last'), 'add', 8);
    yield* []; // a generator that never waits: the signal is its last episode's only action
    return 'signalled';
  });
  df.app.orchestration('callFailing', function* (context: OrchestrationContext) {
    try {
      yield context.df.callEntity(new df.EntityId('counter', 'f'), 'fail');
      return 'no error';
    } catch {
      return 'caught';
    }
  });
  df.app.orchestration('appendFrom', function* (context: OrchestrationContext) {
    const base = context.df.getInput<number>();
    const id = new df.EntityId('journal', 'one');
    for (let i = 1; i <= 3; i++) {
      context.df.signalEntity(id, 'append', base + i);
    }
    const last = (yield context.df.callEntity(id, 'append', base + 4)) as number | undefined;
    return last ?? null;
  });
});

describe('DurableEngine entities (df.app.entity through durable-functions)', () => {
  let h: DurableHarness;
  let engine: DurableEngine;
  let stateDir: string | undefined;
  const engines: DurableEngine[] = [];

  beforeEach(() => {
    journal = { active: 0, maxActive: 0 };
    addGate = undefined;
    addStarted = undefined;
  });

  afterEach(async () => {
    for (const e of engines.splice(0)) {
      await e.stop();
    }
    if (stateDir) {
      fs.rmSync(stateDir, { recursive: true, force: true });
      stateDir = undefined;
    }
  });

  async function start(options: { stateDir?: string } = {}): Promise<void> {
    h = await startHarness(registry, { clock: new VirtualClock(), ...options });
    engine = h.engine;
    engines.push(engine);
  }

  it('signals and calls an entity from an orchestrator, recording EventSent and the response', async () => {
    await start();
    const id = await h.client.startNew('countTo', { input: 'c1' });
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(7);
    const history = engine.getHistory(id);
    const sent = history.filter((e) => e.EventType === HistoryEventType.EventSent);
    expect(sent.map((e) => [e.EventId, e.InstanceId])).toEqual([
      [0, '@counter@c1'],
      [1, '@counter@c1'],
      [2, '@counter@c1'],
    ]);
    const callId = (JSON.parse(sent[2]?.Input ?? '{}') as { id: string }).id;
    const response = history.find((e) => e.EventType === HistoryEventType.EventRaised && e.Name === callId);
    expect(JSON.parse(response?.Input ?? '{}')).toEqual({ result: '7' });
    expect(await h.client.readEntityState<number>(new df.EntityId('counter', 'c1'))).toEqual({
      entityExists: true,
      entityState: 7,
    });
  });

  it('signals and reads an entity from the DurableClient over the management API', async () => {
    await start();
    const id = new df.EntityId('counter', 'fromClient');
    expect((await h.client.readEntityState<number>(id)).entityExists).toBe(false);
    await h.client.signalEntity(id, 'add', 3);
    await h.client.signalEntity(id, 'add', 4);
    await engine.waitForIdle();
    expect(await h.client.readEntityState<number>(id)).toEqual({ entityExists: true, entityState: 7 });
    await expect(h.client.signalEntity(new df.EntityId('nosuch', 'x'), 'add', 1)).rejects.toThrow(
      /The function 'nosuch' doesn't exist, is disabled, or is not an entity function/,
    );
  });

  it('delivers the signals an entity operation sends to their target entity', async () => {
    await start();
    await h.client.signalEntity(new df.EntityId('relay', 'r1'), 'forward', 4);
    await h.client.signalEntity(new df.EntityId('relay', 'r1'), 'forward', 6);
    await engine.waitForIdle();
    expect(await h.client.readEntityState<number>(new df.EntityId('relay', 'r1'))).toEqual({
      entityExists: true,
      entityState: 2,
    });
    expect(await h.client.readEntityState<number>(new df.EntityId('counter', 'r1'))).toEqual({
      entityExists: true,
      entityState: 10,
    });
  });

  it('calls and signals entities across continueAsNew executions', async () => {
    await start();
    const id = await h.client.startNew('countLoop', { input: 3 });
    await engine.runUntilIdle();
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(30);
    expect(engine.instanceCounters(id)?.continuedAsNew).toBe(3);
  });

  it("sends the signals of an orchestrator's last episode", async () => {
    await start();
    const id = await h.client.startNew('signalAndReturn');
    await engine.runUntilIdle();
    expect((await h.client.getStatus(id)).output).toBe('signalled');
    expect(await h.client.readEntityState<number>(new df.EntityId('counter', 'last'))).toEqual({
      entityExists: true,
      entityState: 8,
    });
  });

  it('fails the call (not the entity) when an operation throws', async () => {
    await start();
    const id = await h.client.startNew('callFailing');
    await engine.runUntilIdle();
    expect((await h.client.getStatus(id)).output).toBe('caught');
  });

  it('runs the operations of one entity one at a time, in the order each sender sent them', async () => {
    await start();
    const senders = [100, 200, 300];
    const ids = await Promise.all(senders.map((base) => h.client.startNew('appendFrom', { input: base })));
    const entity = new df.EntityId('journal', 'one');
    for (let i = 1; i <= 5; i++) {
      await h.client.signalEntity(entity, 'append', i);
    }
    await engine.runUntilIdle();
    for (const id of ids) {
      expect((await h.client.getStatus(id)).runtimeStatus).toBe('Completed');
    }
    const state = (await h.client.readEntityState<number[]>(entity)).entityState ?? [];
    expect(journal.maxActive).toBe(1);
    expect(state).toHaveLength(senders.length * 4 + 5);
    expect(state.filter((v) => v < 100)).toEqual([1, 2, 3, 4, 5]);
    for (const base of senders) {
      expect(state.filter((v) => v > base && v <= base + 4)).toEqual([
        base + 1,
        base + 2,
        base + 3,
        base + 4,
      ]);
    }
  });

  it('keeps entity state and queued operations across an engine restart with a stateDir', async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-entities-'));
    await start({ stateDir });
    const id = new df.EntityId('counter', 'kept');
    await h.client.signalEntity(id, 'add', 5);
    await engine.waitForIdle();
    // The next add is queued and running when the engine stops: it must run again after the restart.
    let release!: () => void;
    addGate = new Promise<void>((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (addStarted = resolve));
    await h.client.signalEntity(id, 'add', 10);
    await started;
    await engine.stop();
    addGate = undefined;
    release();

    await start({ stateDir });
    await engine.waitForIdle();
    expect(await h.client.readEntityState<number>(id)).toEqual({ entityExists: true, entityState: 15 });
    const instanceId = await h.client.startNew('countTo', { input: 'kept' });
    await engine.runUntilIdle();
    expect((await h.client.getStatus(instanceId)).output).toBe(22);
  });
  it('answers a call whose batch was committed just before a crash, without running it again', async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-entities-'));
    await start({ stateDir });
    let release!: () => void;
    addGate = new Promise<void>((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (addStarted = resolve));
    const instanceId = await h.client.startNew('countTo', { input: 'crash' });
    await started;
    await engine.stop();
    addGate = undefined;
    release();

    // Rewrite the entity's file as a crash right after committing the batch would leave it: the new
    // state and the answer to the call in its outbox, the answer not yet delivered.
    const file = path.join(stateDir, 'entities', `${encodeURIComponent('@counter@crash')}.json`);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      formatVersion: number;
      record: EntityRecord;
    };
    const call = saved.record.queue.find((r) => !r.signal);
    expect(saved.record.queue.map((r) => r.op)).toEqual(['add', 'add', 'get']);
    if (!call?.parent) {
      throw new Error('the call to get was not queued with its caller');
    }
    saved.record = {
      ...saved.record,
      exists: true,
      stateJson: '7',
      recentRequestIds: saved.record.queue.map((r) => r.id),
      queue: [],
      outbox: [
        {
          kind: 'response',
          instanceId: call.parent.instanceId,
          executionId: call.parent.executionId,
          event: entityResponseEvent(call.id, { isError: false, result: '7' }, new Date().toISOString()),
        },
      ],
    };
    fs.writeFileSync(file, JSON.stringify(saved));

    await start({ stateDir });
    await engine.runUntilIdle();
    expect((await h.client.getStatus(instanceId)).output).toBe(7);
    expect(await h.client.readEntityState<number>(new df.EntityId('counter', 'crash'))).toEqual({
      entityExists: true,
      entityState: 7,
    });
  });
});
