import { AzureBlobStore } from '../../../adapters/blob/azureBlobStore';
import { createBlobServiceClient } from '../../../adapters/blob/createBlobServiceClient';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import { TransientProviderError } from '../../../shared/errors/dispatchErrors';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveJobLog, rereadOutputFromTail } from '../../../orchestrations/dispatchJob/archiveJobLog';
import { wrapCommandForOutputFile } from '../../../shared/jobOutputs/outputFileReport';

let azurite: RunningAzurite;
let blobStore: AzureBlobStore;
beforeAll(async () => {
  azurite = await startAzurite();
  blobStore = new AzureBlobStore({
    client: createBlobServiceClient(
      { kind: 'connectionString', connectionString: azurite.connectionString },
      new EmulatorCredential(),
    ),
    createContainers: true,
  });
});
afterAll(async () => {
  await azurite?.close();
});

const input = { route: 'billing', eventId: 'order/7', attempt: 2, tailLines: 50 };
const fiveThousandLines = Array.from({ length: 5000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

describe('archiveJobLog', () => {
  it('archives the whole log at <route>/<eventId>/a<attempt>.log and returns its tail and URL', async () => {
    const result = await archiveJobLog(
      { readLog: () => Promise.resolve(fiveThousandLines), blobStore, container: 'job-logs' },
      input,
    );
    expect(result.logUrl).toBe(`${azurite.blobEndpoint}/job-logs/billing/order%252F7/a2.log`);
    expect(result.archiveError).toBeUndefined();
    expect(result.tail.split('\n')).toHaveLength(50);
    expect(result.tail.endsWith('line 5000')).toBe(true);
    const archived = await blobStore.read({ container: 'job-logs', name: 'billing/order%2F7/a2.log' });
    expect(archived?.toString()).toBe(fiveThousandLines);
  });

  it('a log that cannot be read is recorded, not thrown', async () => {
    const result = await archiveJobLog(
      {
        readLog: () => Promise.reject(new TransientProviderError('ARM 503')),
        blobStore,
        container: 'job-logs',
      },
      input,
    );
    expect(result).toEqual({
      tail: '(logs unavailable: ARM 503)',
      archiveError: 'reading the log failed: ARM 503',
    });
  });

  it('a failed archive keeps the tail and records why', async () => {
    const noContainers = new AzureBlobStore({
      client: createBlobServiceClient(
        { kind: 'connectionString', connectionString: azurite.connectionString },
        new EmulatorCredential(),
      ),
    });
    const result = await archiveJobLog(
      { readLog: () => Promise.resolve('a\nb\n'), blobStore: noContainers, container: 'missing' },
      input,
    );
    expect(result.tail).toBe('a\nb');
    expect(result.logUrl).toBeUndefined();
    expect(result.archiveError).toMatch(
      /^archiving the log failed: write blob missing\/billing\/order%2F7\/a2.log: 404 ContainerNotFound/,
    );
  });
});

/** The log of a job run by /bin/sh under the real output epilogue. */
function jobLog(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'archive-output-'));
  try {
    const [file, ...args] = wrapCommandForOutputFile(['/bin/sh', '-c', script]);
    const run = spawnSync(file!, args, {
      env: { PATH: process.env['PATH'] ?? '', DISPATCH_OUTPUT_FILE: join(dir, 'out.json') },
      encoding: 'utf8',
    });
    return run.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('archiveJobLog with an output file', () => {
  const withOutput = { ...input, readOutput: true };

  it('archives the whole log, returns the tail without the report, and the output', async () => {
    const log = jobLog(`echo one; echo two; echo '{"rows":42}' > "$DISPATCH_OUTPUT_FILE"`);
    const result = await archiveJobLog(
      { readLog: () => Promise.resolve(log), blobStore, container: 'job-logs' },
      withOutput,
    );
    expect(result).toMatchObject({ tail: 'one\ntwo', outputReport: { ok: true, output: { rows: 42 } } });
    const archived = await blobStore.read({ container: 'job-logs', name: 'billing/order%2F7/a2.log' });
    expect(archived?.toString()).toBe(log);
  });

  it('says why there is no output when the log cannot be read', async () => {
    const result = await archiveJobLog(
      {
        readLog: () => Promise.reject(new TransientProviderError('ARM 503')),
        blobStore,
        container: 'job-logs',
      },
      withOutput,
    );
    expect(result.outputReport).toEqual({ ok: false, error: 'the log could not be read: ARM 503' });
  });

  it('reads a report cut from a long log again from the log tail', async () => {
    const log = jobLog(
      `i=0; while [ $i -lt 3000 ]; do echo "noise $i"; i=$((i+1)); done; echo '"done"' > "$DISPATCH_OUTPUT_FILE"`,
    );
    // As if the logs API had kept only the start of a log over its 4 MB.
    const head = log.slice(0, log.indexOf('@@dispatch-output v1 end'));
    const result = await archiveJobLog(
      { readLog: () => Promise.resolve(head), blobStore, container: 'job-logs' },
      withOutput,
    );
    expect(result.outputReport).toMatchObject({
      ok: false,
      error: expect.stringMatching(/truncated/) as unknown,
    });
    const tails: number[] = [];
    const reread = await rereadOutputFromTail(result, (lines) => {
      tails.push(lines);
      return Promise.resolve(log.trimEnd().split('\n').slice(-lines).join('\n'));
    });
    expect(reread.outputReport).toEqual({ ok: true, output: 'done' });
    expect(tails).toEqual([785]);
    // A report that is bad in the tail too keeps the first answer.
    const stillMissing = await rereadOutputFromTail(result, () => Promise.resolve('nothing'));
    expect(stillMissing).toBe(result);
  });
});
