import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * `dispatcher dev --aci-quota containerGroups=3,cores=3` and a burst five times the quota: every event succeeds,
 * none is dead-lettered, and the containers that really ran (each job appends its start and end to a file) were
 * never more than three at once. Admission takes the limit from the emulator's Usage API (the settings keep ACI's
 * defaults), so ARM is not expected to refuse a single create.
 */
const QUOTA = 3;
const BURST = 15;
const dir = mkdtempSync(join(tmpdir(), 'dispatcher-e2e-admission-'));
const runLog = join(dir, 'runs.log');
const routesFile = join(dir, 'routes.json');
let stack: RunningStack;
let client: ServiceBusClient;

const job = `const fs = require('fs'); const log = process.env.RUN_LOG; fs.appendFileSync(log, 'start ' + Date.now() + '\\n'); setTimeout(() => { fs.appendFileSync(log, 'end ' + Date.now() + '\\n'); }, 2000);`;

beforeAll(async () => {
  writeFileSync(runLog, '');
  writeFileSync(
    routesFile,
    JSON.stringify({
      routes: [
        {
          name: 'burst',
          match: { type: 'e2e.burst' },
          job: {
            image: 'dispatcher/e2e:1',
            command: ['node', '-e', job],
            cpu: 1,
            memoryInGB: 0.5,
            env: { RUN_LOG: runLog },
          },
          policy: {
            timeout: 'PT1M',
            maxAttempts: 2,
            poll: { initial: 'PT1S', max: 'PT1S' },
            capacityWait: 'PT5M',
          },
        },
      ],
    }),
  );
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

async function targets(): Promise<TargetsView> {
  const response = await fetch(`${stack.httpBase}/targets`);
  expect(response.status).toBe(200);
  return (await response.json()) as TargetsView;
}

function peakRunning(): number {
  const points = readFileSync(runLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [what, at] = line.split(' ');
      return [Number(at), what === 'start' ? 1 : -1] as const;
    })
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of points) peak = Math.max(peak, (current += delta));
  return peak;
}

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
    expect(readFileSync(runLog, 'utf8').match(/^end /gm)).toHaveLength(BURST);
    expect(peakRunning()).toBeLessThanOrEqual(QUOTA);
    expect(peakRunning()).toBe(QUOTA);
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
