import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RealClock, VirtualClock } from '../../../devhost/durable/clock';
import { DurableEngine } from '../../../devhost/durable/durableEngine';
import { HistoryEventType } from '../../../devhost/durable/historyEvent';
import { captureDurableFunctions, startHarness, type DurableHarness } from './durableHarness';

const HOUR = 3_600_000;
let notes: string[] = [];

const registry = captureDurableFunctions(() => {
  df.app.activity('note', {
    handler: (text: string) => {
      notes.push(text);
      return text;
    },
  });
  df.app.orchestration('sleeper', function* (context: OrchestrationContext) {
    yield context.df.callActivity('note', 'before');
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 2 * HOUR));
    yield context.df.callActivity('note', 'after');
    return context.df.currentUtcDateTime.toISOString();
  });
  df.app.orchestration('slowStep', function* (context: OrchestrationContext) {
    return (yield context.df.callActivity('slow', 'work')) as string;
  });
  df.app.orchestration('shortSleep', function* (context: OrchestrationContext) {
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 50));
    return 'woke';
  });
});

describe('DurableEngine persistence (stateDir) and restart', () => {
  let stateDir: string;
  const engines: DurableEngine[] = [];

  beforeEach(() => {
    notes = [];
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-state-'));
  });

  afterEach(async () => {
    for (const engine of engines.splice(0)) {
      await engine.stop();
    }
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  async function harness(
    clock: VirtualClock,
    slow?: (input: string) => Promise<string>,
  ): Promise<DurableHarness> {
    const h = await startHarness(registry, {
      clock,
      stateDir,
      beforeStart: (engine) => {
        if (slow) {
          engine.registerActivity('slow', slow);
        }
      },
    });
    engines.push(h.engine);
    return h;
  }

  it('resumes an instance that was waiting on a timer when the process stopped', async () => {
    const clock1 = new VirtualClock();
    const t0 = clock1.now();
    const first = await harness(clock1);
    const id = await first.client.startNew('sleeper', { instanceId: 'sleepy' });
    await first.engine.waitForIdle();
    await clock1.advance(HOUR);
    expect((await first.client.getStatus(id)).runtimeStatus).toBe('Running');
    await first.engine.stop();
    expect(notes).toEqual(['before']);

    // A new process an hour later (virtual): same state directory, same registrations.
    const second = await harness(new VirtualClock(clock1.now()));
    expect((await second.client.getStatus(id)).runtimeStatus).toBe('Running');
    await second.engine.runUntilIdle();
    const status = await second.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(new Date(t0 + 2 * HOUR).toISOString());
    expect(notes).toEqual(['before', 'after']);
    const history = second.engine.getHistory(id);
    expect(history.filter((e) => e.EventType === HistoryEventType.TimerFired)).toHaveLength(1);
    expect(fs.readdirSync(path.join(stateDir, 'instances'))).toEqual(['sleepy.json']);
  });

  it('runs an activity again when the process stopped while it was running (at-least-once)', async () => {
    let attempts = 0;
    const first = await harness(new VirtualClock(), () => {
      attempts++;
      return new Promise<string>(() => undefined); // never finishes: the process "crashes" first
    });
    const id = await first.client.startNew('slowStep');
    while (attempts === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await first.engine.stop();

    const second = await harness(new VirtualClock(), (input) => {
      attempts++;
      return Promise.resolve(`${input} done`);
    });
    const status = await second.engine.waitForInstance(id, { timeoutMs: 5000 });
    expect(status.output).toBe('work done');
    expect(attempts).toBe(2);
    const scheduled = second.engine
      .getHistory(id)
      .filter((e) => e.EventType === HistoryEventType.TaskScheduled);
    expect(scheduled).toHaveLength(1);
  });

  it('keeps finished instances across restarts', async () => {
    const first = await harness(new VirtualClock());
    const id = await first.client.startNew('sleeper');
    await first.engine.runUntilIdle();
    await first.engine.stop();
    const second = await harness(new VirtualClock());
    expect((await second.client.getStatus(id)).runtimeStatus).toBe('Completed');
    expect(await second.client.purgeInstanceHistory(id)).toEqual({ instancesDeleted: 1 });
    expect(fs.readdirSync(path.join(stateDir, 'instances'))).toEqual([]);
  });

  it('refuses to start on a corrupted state file, naming it', async () => {
    fs.mkdirSync(path.join(stateDir, 'instances'), { recursive: true });
    const bad = path.join(stateDir, 'instances', 'broken.json');
    fs.writeFileSync(bad, '{"formatVersion":1,"record":');
    const engine = new DurableEngine({ clock: new VirtualClock(), stateDir, http: false });
    engines.push(engine);
    await expect(engine.start()).rejects.toThrow(`Durable state file ${bad} is not valid JSON`);
  });

  it('fires durable timers on the real clock', async () => {
    const engine = new DurableEngine({ clock: new RealClock() });
    engine.registerFromRegistry(registry);
    engines.push(engine);
    await engine.start();
    const started = Date.now();
    const id = engine.startNew('shortSleep');
    const status = await engine.waitForInstance(id, { timeoutMs: 5000 });
    expect(status.output).toBe('woke');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});
