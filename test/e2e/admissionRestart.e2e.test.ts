import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { killPersistedContainers } from '../../devhost/aci/startAciEmulator';
import { finishedRuns, getTargets, peakRunning, writeBurstRoutes } from './burstRun';
import {
  cloudEvent,
  eventually,
  launchDevStack,
  peekDeadLetters,
  sendRaw,
  waitForSettled,
  type RunningStack,
} from './devStackHarness';

/**
 * `dispatcher dev --state <dir> --aci-quota containerGroups=3,cores=3`, stopped in the middle of a burst four times
 * the quota and started again on the same state: the coordinator's queue and slots come back with the Durable
 * state, every event succeeds once, at most three containers ran at once, and afterwards no slot is left held.
 */
const QUOTA = 3;
const BURST = 12;
const dir = mkdtempSync(join(tmpdir(), 'dispatcher-e2e-admission-restart-'));
const stateDir = join(dir, 'state');
const { routesFile, runLog } = writeBurstRoutes(dir);
const stacks: RunningStack[] = [];

afterAll(async () => {
  for (const stack of stacks) await stack.stop();
  killPersistedContainers(join(stateDir, 'aci'));
  rmSync(dir, { recursive: true, force: true });
});

async function launch(): Promise<RunningStack> {
  const stack = await launchDevStack({
    routesFile,
    stateDir,
    aciQuota: { containerGroups: QUOTA, cores: QUOTA },
    settings: { DISPATCH_ADMISSION_RECONCILE_INTERVAL: 'PT5S' },
  });
  stacks.push(stack);
  return stack;
}

it('keeps the queue and leaks no slot when the stack is killed (SIGKILL) in the middle of a burst and restarted', async () => {
  const events = Array.from({ length: BURST }, () => cloudEvent('e2e.burst'));
  const first = await launch();
  let client = new ServiceBusClient(first.connectionString);
  for (const event of events) await sendRaw(client, JSON.stringify(event), event.id);
  await eventually('the burst to be under way', async () => {
    const view = await getTargets(first.httpBase);
    return view.inUse > 0 && view.waiting > 0 && finishedRuns(runLog) >= QUOTA ? view : undefined;
  });
  await client.close();
  // A crash, not a clean stop: nothing gets to release its slot or save anything more.
  process.kill(first.pid, 'SIGKILL');
  await first.exited;

  const second = await launch();
  client = new ServiceBusClient(second.connectionString);
  try {
    for (const event of events) {
      const jobs = await waitForSettled(second.httpBase, event.id, 1, 180_000);
      expect(jobs.map((j) => [j.attempt, j.phase])).toEqual([[1, 'Succeeded']]);
    }
    expect(finishedRuns(runLog)).toBe(BURST);
    expect(peakRunning(runLog)).toBeLessThanOrEqual(QUOTA);
    expect(await peekDeadLetters(client)).toEqual([]);
    const after = await eventually(
      'every slot released',
      async () => {
        const view = await getTargets(second.httpBase);
        return view.inUse === 0 && view.waiting === 0 ? view : undefined;
      },
      60_000,
    );
    expect(after.targets[0]).toMatchObject({ inUse: 0, waiting: 0, limit: QUOTA });
  } finally {
    await client.close();
  }
}, 300_000);
