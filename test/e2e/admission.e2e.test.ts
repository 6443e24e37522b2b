import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import type { TargetsView } from '../../functions/status/targetStatus';
import {
  cloudEvent,
  eventually,
  launchDevStack,
  peekDeadLetters,
  sendRaw,
  waitForSettled,
  type RunningStack,
} from './devStackHarness';
import { finishedRuns, getTargets, peakRunning, writeBurstRoutes } from './burstRun';

/**
 * `dispatcher dev --aci-quota containerGroups=3,cores=3` and a burst five times the quota: every event succeeds,
 * none is dead-lettered, and the containers that really ran (each job appends its start and end to a file) were
 * never more than three at once. Admission takes the limit from the emulator's Usage API (the settings keep ACI's
 * defaults), so ARM is not expected to refuse a single create.
 */
const QUOTA = 3;
const BURST = 15;
const dir = mkdtempSync(join(tmpdir(), 'dispatcher-e2e-admission-'));
const { routesFile, runLog } = writeBurstRoutes(dir);
let stack: RunningStack;
let client: ServiceBusClient;

beforeAll(async () => {
  stack = await launchDevStack({
    routesFile,
    aciQuota: { containerGroups: QUOTA, cores: QUOTA },
    settings: { DISPATCH_ADMISSION_RECONCILE_INTERVAL: 'PT10S' },
  });
  client = new ServiceBusClient(stack.connectionString);
}, 90_000);

afterAll(async () => {
  await client?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const targets = (): Promise<TargetsView> => getTargets(stack.httpBase);

describe('capacity admission on the offline stack', () => {
  it(`runs a burst of ${BURST} jobs through a quota of ${QUOTA} groups: all succeed, never more than ${QUOTA} at once`, async () => {
    const events = Array.from({ length: BURST }, () => cloudEvent('e2e.burst'));
    for (const event of events) await sendRaw(client, JSON.stringify(event), event.id);

    // While the burst waits, the status API shows it.
    const busy = await eventually('a waiting burst', async () => {
      const view = await targets();
      return view.waiting > 0 ? view : undefined;
    });
    expect(busy.admission).toBe('on');
    expect(busy.targets[0]).toMatchObject({ limit: QUOTA, coresLimit: QUOTA });
    expect(busy.inUse).toBeLessThanOrEqual(QUOTA);

    for (const event of events) {
      const jobs = await waitForSettled(stack.httpBase, event.id, 1, 180_000);
      expect(jobs.map((j) => [j.attempt, j.phase])).toEqual([[1, 'Succeeded']]);
    }
    expect(finishedRuns(runLog)).toBe(BURST);
    expect(peakRunning(runLog)).toBe(QUOTA);
    expect(await peekDeadLetters(client)).toEqual([]);
    expect(stack.output()).not.toMatch(/ContainerGroupQuotaReached/);
    // After the burst every slot is back.
    const after = await eventually('every slot released', async () => {
      const view = await targets();
      return view.inUse === 0 && view.waiting === 0 ? view : undefined;
    });
    expect(after.targets[0]).toMatchObject({ inUse: 0, waiting: 0 });
  }, 300_000);
});
