import { AzureBlobStore } from '../../../adapters/blob/azureBlobStore';
import { createBlobServiceClient } from '../../../adapters/blob/createBlobServiceClient';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import { TransientProviderError } from '../../../shared/errors/dispatchErrors';
import { archiveJobLog } from '../../../orchestrations/dispatchJob/archiveJobLog';

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
