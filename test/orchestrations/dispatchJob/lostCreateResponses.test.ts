import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { AciJobProvider } from '../../../adapters/aci/aciJobProvider';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import { parseFaultRates } from '../../../devhost/aci/faultRates';
import { startAciEmulator, type RunningAciEmulator } from '../../../devhost/aci/startAciEmulator';
import { trustEmulatorCertificate } from '../../../devhost/aci/trustEmulatorCertificate';
import {
  DISPATCH_JOB_ORCHESTRATOR,
  type DispatchJobSettlement,
} from '../../../orchestrations/dispatchJob/contracts';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import { TEST_SUBSCRIPTION, startDispatchJobHarness, testRoute } from '../../support/dispatchJobHarness';

/*
 * Issue 11, finding 3, against the ACI emulator through the official SDK: ARM creates ("processed, then 500") and
 * reads fail at a rate, so some creates succeed without the dispatcher learning it and some attempts end
 * `create-failed`. Every job writes one line per run; at the end no attempt ran its job more than once and no
 * container group is left. The orchestrator runs on a virtual clock (its retry timers), the jobs for real.
 */

const EVENTS = 10;
let emulator: RunningAciEmulator;
let runsDir: string;

beforeAll(async () => {
  runsDir = mkdtempSync(join(tmpdir(), 'dispatch-runs-'));
  emulator = await startAciEmulator({
    faults: parseFaultRates('create=0.9,get=0.7,kinds=lost-response,seed=11'),
    quota: { createsPer5Min: 100_000 },
    killGraceMs: 200,
  });
  trustEmulatorCertificate(emulator.caCertPem);
});

afterAll(async () => {
  await emulator?.close();
  rmSync(runsDir, { recursive: true, force: true });
});

it('runs each attempt at most once and leaks no group when ARM loses create responses', async () => {
  const provider = new AciJobProvider({
    credential: new EmulatorCredential(),
    endpoint: emulator.endpoint,
    provisioningWaitMs: 5_000,
  });
  const route = testRoute({
    name: 'lost',
    job: {
      image: 'local/runs:1',
      command: [
        process.execPath,
        '-e',
        "require('fs').appendFileSync(require('path').join(process.env.RUNS_DIR, JSON.parse(process.env.DISPATCH_EVENT).id), 'run\\n')",
      ],
      env: { RUNS_DIR: runsDir },
    },
    // Long in virtual time: the job runs in real time while polls are instant.
    policy: { timeout: 'PT24H', poll: { initial: 'PT5S', max: 'PT5S' }, maxAttempts: 3 },
  });
  const harness = await startDispatchJobHarness({ jobProvider: provider });
  const settlements: DispatchJobSettlement[] = [];
  try {
    for (let i = 0; i < EVENTS; i++) {
      const event = { id: `lost-${i}`, type: 'demo.lost', source: '/chaos' };
      const instanceId = instanceIdFor(route.name, event, 1);
      harness.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
        instanceId,
        input: {
          route,
          event,
          eventJson: JSON.stringify({ specversion: '1.0', ...event }),
          attempt: 1,
          pollsPerExecution: 20,
        },
      });
      await harness.engine.runUntilIdle();
      const status = await harness.engine.waitForInstance(instanceId, { timeoutMs: 60_000 });
      expect(status.runtimeStatus).toBe('Completed');
      settlements.push(status.output as DispatchJobSettlement);
    }
  } finally {
    await harness.close();
  }

  const createFailed = settlements.filter(
    (s) => s.outcome === 'Requeued' && /CreateFailed/.test(s.description ?? ''),
  );
  // The faults did what they are for: some attempts could not learn that their create succeeded.
  expect(createFailed.length).toBeGreaterThan(0);
  expect(settlements.filter((s) => s.outcome === 'Succeeded').length).toBeGreaterThan(0);

  // One attempt per event here: at most one run each.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  // A job whose group was deleted while it started may leave its file created but not yet written (0 runs
  // counted): what must never happen is a second run.
  const twice = readdirSync(runsDir).filter(
    (file) => readFileSync(join(runsDir, file), 'utf8').split('\n').filter(Boolean).length > 1,
  );
  expect(twice).toEqual([]);
  const arm = new ContainerInstanceManagementClient(new EmulatorCredential(), TEST_SUBSCRIPTION, {
    endpoint: emulator.endpoint,
    retryOptions: { maxRetries: 20, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
  });
  const left: string[] = [];
  for await (const group of arm.containerGroups.list()) left.push(group.name ?? '?');
  expect(left).toEqual([]);
}, 120_000);
