import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { killPersistedContainers } from '../../devhost/aci/startAciEmulator';
import { descendantsOf, emulatorPid, isAlive, waitUntil } from '../support/processTree';
import { cloudEvent, launchDevStack, sendRaw, waitForSettled, type RunningStack } from './devStackHarness';

/**
 * `dispatcher dev` supervises its emulator processes (startDevStack + superviseEmulator): with --state a dead
 * emulator is restarted on the same port with its state and the stack carries on; without it the stack stops
 * loudly with a non-zero exit and leaves no process behind.
 */
const stacks: RunningStack[] = [];
const stateDir = mkdtempSync(join(tmpdir(), 'dispatcher-e2e-supervision-'));

afterAll(async () => {
  for (const stack of stacks) await stack.stop();
  killPersistedContainers(join(stateDir, 'aci'));
  rmSync(stateDir, { recursive: true, force: true });
});

async function launch(options: { stateDir?: string } = {}): Promise<RunningStack> {
  const stack = await launchDevStack(options);
  stacks.push(stack);
  return stack;
}

async function dispatchOne(stack: RunningStack): Promise<void> {
  // A new client each time: the test's own connection may have been to the emulator that was killed.
  const client = new ServiceBusClient(stack.connectionString);
  try {
    const event = cloudEvent('e2e.ok');
    await sendRaw(client, JSON.stringify(event), event.id);
    const jobs = await waitForSettled(stack.httpBase, event.id, 1, 45_000);
    expect(jobs.map((j) => j.phase)).toEqual(['Succeeded']);
  } finally {
    await client.close();
  }
}

function killEmulator(stack: RunningStack, kind: 'aci' | 'servicebus'): number {
  const pid = emulatorPid(stack.pid, kind);
  if (pid === undefined) throw new Error(`no ${kind} emulator process under the stack (pid ${stack.pid})`);
  process.kill(pid, 'SIGKILL');
  return pid;
}

test('with --state, a killed ACI or Service Bus emulator is restarted with its state and the stack goes on', async () => {
  const stack = await launch({ stateDir });
  await dispatchOne(stack);
  for (const kind of ['aci', 'servicebus'] as const) {
    const killed = killEmulator(stack, kind);
    await waitUntil(`a new ${kind} emulator process`, () => {
      const pid = emulatorPid(stack.pid, kind);
      return pid !== undefined && pid !== killed;
    });
    await waitUntil(`the ${kind} restart to be logged`, () =>
      new RegExp(`emulator restarted on port \\d+`).test(stack.output().split(String(killed)).pop() ?? ''),
    );
    expect(stack.output()).toContain(`${kind} emulator process ${killed} exited unexpectedly (SIGKILL)`);
    // Promptly: the local host's trigger reconnects like the real host's (exponential from 0.8 s, not 30 s).
    const restartedAt = Date.now();
    await dispatchOne(stack);
    expect(Date.now() - restartedAt).toBeLessThan(20_000);
  }
  expect(isAlive(stack.pid)).toBe(true);
}, 120_000);

test.each(['aci', 'servicebus'] as const)(
  'without --state, a killed %s emulator stops the whole stack with exit code 1 and no process left',
  async (kind) => {
    const stack = await launch();
    const before = descendantsOf(stack.pid);
    expect(before.length).toBeGreaterThanOrEqual(2);
    const killed = killEmulator(stack, kind);
    const killedAt = Date.now();
    expect(await stack.exited).toBe(1);
    // Loudly and promptly: a shutdown step stuck on the dead emulator is cut short (startDevStack).
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(stack.output()).toContain(`${kind} emulator process ${killed} exited unexpectedly (SIGKILL)`);
    expect(stack.output()).toMatch(
      /Without --state a new (ACI|Service Bus) emulator would start empty, so the stack stops/,
    );
    await waitUntil('every process of the stack to end', () => before.every((pid) => !isAlive(pid)), 20_000);
  },
  90_000,
);
