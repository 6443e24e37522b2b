import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import {
  cloudEvent,
  dispatchReason,
  launchDevStack,
  peekResults,
  repoRoot,
  sendRaw,
  waitForDeadLetter,
  waitForSettled,
  isCopyOf,
  type RunningStack,
} from './devStackHarness';

/**
 * Issue 14 item 2 and the event ledger through the offline stack: a failing job's whole log is archived in
 * Azurite before its group is deleted, and the dead-letter description, the status API, the result event and
 * the ledger point to it.
 */
let stack: RunningStack;
let client: ServiceBusClient;
const noisy = cloudEvent('e2e.noisy');
const quiet = cloudEvent('e2e.quiet');

beforeAll(async () => {
  stack = await launchDevStack({
    routesFile: join(repoRoot, 'test', 'fixtures', 'e2e', 'jobLogs.routes.json'),
  });
  client = new ServiceBusClient(stack.connectionString);
  for (const event of [noisy, quiet]) await sendRaw(client, JSON.stringify(event), event.id);
}, 90_000);

afterAll(async () => {
  await client?.close();
  await stack?.stop();
});

async function readBlob(url: string): Promise<string> {
  const { pathname } = new URL(url);
  // /devstoreaccount1/<container>/<name...>
  const [, , container, ...name] = pathname.split('/');
  const blob = BlobServiceClient.fromConnectionString(stack.storageConnectionString)
    .getContainerClient(container ?? '')
    .getBlobClient(decodeURIComponent(name.join('/')));
  return (await blob.downloadToBuffer()).toString('utf8');
}

describe('job logs and the event ledger (offline stack)', () => {
  it('archives all 5,000 lines of a failing job and links them from the dead letter, status and result', async () => {
    const [job] = await waitForSettled(stack.httpBase, noisy.id, 1);
    expect(job).toMatchObject({ phase: 'DeadLettered', exitCode: 4 });

    const status = (await (await fetch(`${stack.httpBase}/events/${noisy.id}`)).json()) as {
      state: string;
      jobs: Array<{ logUrl?: string }>;
    };
    expect(status.state).toBe('Settled');
    const logUrl = status.jobs[0]?.logUrl ?? '';
    expect(logUrl).toMatch(new RegExp(`/devstoreaccount1/job-logs/logs-noisy/${noisy.id}/a1\\.log$`));

    const lines = (await readBlob(logUrl)).trimEnd().split('\n');
    expect(lines).toHaveLength(5000);
    expect(lines[0]).toBe('noisy line 1');
    expect(lines[4999]).toBe('noisy line 5000');

    const dead = await waitForDeadLetter(client, noisy.id, (m) => isCopyOf(m, noisy.id));
    const { reason, description } = dispatchReason(dead);
    expect(reason).toBe('JobFailed');
    expect(description).toContain(`Full log: ${logUrl}`);
    expect(description).toContain('noisy line 5000');

    const [result] = (await peekResults(client)).filter((r) => r.eventId === noisy.id);
    expect(result).toMatchObject({ outcome: 'DeadLettered', logUrl });
  });

  it('keeps one ledger row per event and per attempt, readable with the Table SDK', async () => {
    await waitForSettled(stack.httpBase, quiet.id, 1);
    const table = TableClient.fromConnectionString(stack.storageConnectionString, 'dispatchledger', {
      allowInsecureConnection: true,
    });
    const rows: Array<Record<string, unknown>> = [];
    for await (const row of table.listEntities({
      queryOptions: { filter: `PartitionKey eq '${quiet.id}'` },
    }))
      rows.push(row);
    expect(rows).toEqual([
      expect.objectContaining({
        kind: 'event',
        eventId: quiet.id,
        source: 'urn:e2e:test',
        routes: '["logs-ok"]',
      }),
      expect.objectContaining({
        kind: 'attempt',
        route: 'logs-ok',
        attempt: 1,
        outcome: 'Succeeded',
        exitCode: 0,
        logUrl: expect.stringMatching(/\/job-logs\/logs-ok\/.*\/a1\.log$/) as unknown,
      }),
    ]);
  });
});
