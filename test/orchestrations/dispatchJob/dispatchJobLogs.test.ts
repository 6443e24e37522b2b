import { AzureBlobStore } from '../../../adapters/blob/azureBlobStore';
import { createBlobServiceClient } from '../../../adapters/blob/createBlobServiceClient';
import { createTableClient } from '../../../adapters/ledger/createTableClient';
import { TableEventLedger } from '../../../adapters/ledger/tableEventLedger';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import {
  DISPATCH_JOB_ORCHESTRATOR,
  type DispatchJobStatus,
} from '../../../orchestrations/dispatchJob/contracts';
import { LOG_SNAPSHOT_EVERY_MS } from '../../../orchestrations/dispatchJob/snapshotJobLog';
import { triggerSettings } from '../../support/triggerEnvironment';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import {
  startDispatchJobHarness,
  testRoute,
  type DispatchJobHarness,
} from '../../support/dispatchJobHarness';
import type { JobScript } from '../../support/scriptedJobProvider';

/*
 * Log archiving and the ledger outcome through the real orchestrator (durable-functions replay, virtual clock),
 * with the Blob store and the ledger in Azurite.
 */
const EVENT = { id: 'evt-logs', type: 'demo.hello', source: '/tests' };
const EVENT_JSON = JSON.stringify({ specversion: '1.0', ...EVENT, data: {} });
const START = Date.parse('2026-01-01T00:00:00Z');
const storage = () => ({ kind: 'connectionString' as const, connectionString: azurite.connectionString });

let azurite: RunningAzurite;
let harness: DispatchJobHarness | undefined;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});
afterAll(async () => {
  await azurite?.close();
});

function blobStore(createContainers = true): AzureBlobStore {
  return new AzureBlobStore({
    client: createBlobServiceClient(storage(), new EmulatorCredential()),
    createContainers,
  });
}
const ledger = (): TableEventLedger =>
  new TableEventLedger({
    client: createTableClient(storage(), new EmulatorCredential(), 'ledger'),
    createTable: true,
  });

async function run(script: JobScript, container = 'job-logs', store = blobStore()) {
  const route = testRoute({
    name: 'logs',
    policy: { timeout: 'PT2H', maxAttempts: 1, poll: { initial: 'PT1M', max: 'PT1M' } },
  });
  harness = await startDispatchJobHarness({
    scriptFor: () => script,
    settings: triggerSettings({ DISPATCH_JOB_LOGS_CONTAINER: container }),
    blobStore: store,
    ledger: ledger(),
  });
  const instanceId = instanceIdFor(route.name, EVENT, 1);
  harness.engine.startNew(DISPATCH_JOB_ORCHESTRATOR, {
    instanceId,
    input: { route, event: EVENT, eventJson: EVENT_JSON, attempt: 1, pollsPerExecution: 10 },
  });
  await harness.engine.runUntilIdle();
  const status = await harness.engine.waitForInstance(instanceId);
  return { h: harness, instanceId, customStatus: status.customStatus as DispatchJobStatus };
}

describe('dispatchJob log archive', () => {
  it('snapshots a running job every 15 minutes and archives the whole log before deleting the group', async () => {
    const output = Array.from({ length: 3000 }, (_, i) => `out ${i + 1}`).join('\n');
    const { h, instanceId, customStatus } = await run({ runMs: 40 * 60_000, exitCode: 5, output });
    const logReads = h.provider.calls.filter((c) => c.op === 'logs').map((c) => c.atMs - START);
    // Two snapshots (the first polls at or after 15 and 30 minutes), then the final archive.
    expect(logReads).toHaveLength(3);
    expect(logReads[0]).toBeGreaterThanOrEqual(LOG_SNAPSHOT_EVERY_MS);
    expect(logReads[1]! - logReads[0]!).toBeGreaterThanOrEqual(LOG_SNAPSHOT_EVERY_MS);
    const deletedAt = h.provider.calls.find((c) => c.op === 'delete')!.atMs - START;
    expect(logReads[2]).toBeLessThanOrEqual(deletedAt);

    const name = `logs/${EVENT.id}/a1.log`;
    expect(customStatus).toMatchObject({
      phase: 'DeadLettered',
      logUrl: `${azurite.blobEndpoint}/job-logs/${name}`,
    });
    expect((await blobStore().read({ container: 'job-logs', name }))?.toString()).toBe(output);
    const [deadLetter] = h.queue.deadLetterCopies;
    expect(deadLetter?.description).toContain(`Full log: ${azurite.blobEndpoint}/job-logs/${name}`);
    expect(await ledger().find({ eventId: EVENT.id, source: EVENT.source })).toMatchObject({
      attempts: [
        {
          instanceId,
          outcome: 'DeadLettered',
          exitCode: 5,
          logUrl: `${azurite.blobEndpoint}/job-logs/${name}`,
        },
      ],
    });
  });

  it('a failed archive never blocks settlement: it is recorded and the tail still reaches the dead letter', async () => {
    const { h, customStatus } = await run(
      { runMs: 60_000, exitCode: 5, output: 'the last words' },
      'no-such-container',
      blobStore(false),
    );
    expect(customStatus.phase).toBe('DeadLettered');
    expect(customStatus.logUrl).toBeUndefined();
    expect(customStatus.logArchiveError).toMatch(/^archiving the log failed: .*404 ContainerNotFound/);
    expect(h.queue.deadLetterCopies[0]?.description).toContain('the last words');
    expect(h.queue.deadLetterCopies[0]?.description).not.toContain('Full log:');
    const recorded = await ledger().find({ eventId: EVENT.id, source: EVENT.source });
    expect(recorded?.attempts[0]?.logArchiveError).toBe(customStatus.logArchiveError);
  });
});
