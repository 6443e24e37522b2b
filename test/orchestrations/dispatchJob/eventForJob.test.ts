import { AzureBlobStore } from '../../../adapters/blob/azureBlobStore';
import { createBlobServiceClient } from '../../../adapters/blob/createBlobServiceClient';
import { EmulatorCredential } from '../../../adapters/azure/emulatorCredential';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { claimCheckData } from '../../../devhost/cli/claimCheckData';
import {
  eventForJob,
  MAX_INLINE_EVENT_BYTES,
  type ClaimCheckStore,
} from '../../../orchestrations/dispatchJob/eventForJob';

/* The claim check against Azurite: what the job gets, and that its URL reads that one blob and nothing more. */
let azurite: RunningAzurite;
let store: ClaimCheckStore;
beforeAll(async () => {
  azurite = await startAzurite();
  const client = createBlobServiceClient(
    { kind: 'connectionString', connectionString: azurite.connectionString },
    new EmulatorCredential(),
  );
  store = { blobStore: new AzureBlobStore({ client, createContainers: true }), container: 'events' };
});
afterAll(async () => {
  await azurite?.close();
});

const expiresOn = new Date(Date.now() + 10 * 60_000);
const event = (data: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ specversion: '1.0', id: 'e1', source: 'urn:t', type: 't', data, ...extra });

describe('eventForJob', () => {
  test('passes an event that fits inline unchanged', async () => {
    const json = event({ a: 1 });
    expect(
      await eventForJob({ eventJson: json, delivery: 'env', instanceId: 'r-1-a1', expiresOn, store }),
    ).toEqual({
      eventJson: json,
    });
  });

  test('hands a large event over as a read-only URL that reads it whole, and only it', async () => {
    const json = event({ pad: 'y'.repeat(MAX_INLINE_EVENT_BYTES.env) });
    const given = await eventForJob({
      eventJson: json,
      delivery: 'env',
      instanceId: 'r-2-a1',
      expiresOn,
      store,
    });
    if (!('eventUrl' in given)) throw new Error('expected a URL');
    expect(await (await fetch(given.eventUrl)).text()).toBe(json);
    const plain = given.eventUrl.split('?')[0]!;
    expect((await fetch(plain)).status).toBeGreaterThanOrEqual(400);
    // The signature covers this blob only.
    expect((await fetch(given.eventUrl.replace('r-2-a1', 'r-3-a1'))).status).toBeGreaterThanOrEqual(400);
    // The file delivery takes more before it needs the claim check.
    expect(
      await eventForJob({ eventJson: json, delivery: 'file', instanceId: 'r-2-a1', expiresOn, store }),
    ).toEqual({
      eventJson: json,
    });
  });

  test('puts dataref data from its own container back, and leaves any other dataref alone', async () => {
    const ref = await claimCheckData(azurite.connectionString, 'e1', { rows: [1, 2, 3] });
    const withRef = JSON.stringify({ specversion: '1.0', id: 'e1', source: 'urn:t', type: 't', ...ref });
    const given = await eventForJob({
      eventJson: withRef,
      delivery: 'env',
      instanceId: 'r-4-a1',
      expiresOn,
      store,
    });
    expect(JSON.parse((given as { eventJson: string }).eventJson)).toMatchObject({
      data: { rows: [1, 2, 3] },
    });

    const foreign = event(undefined, { dataref: 'http://169.254.169.254/metadata' });
    expect(
      await eventForJob({ eventJson: foreign, delivery: 'env', instanceId: 'r-5-a1', expiresOn, store }),
    ).toEqual({
      eventJson: foreign,
    });
  });

  test('refuses a large event without a blob store rather than cutting it', async () => {
    const json = event({ pad: 'y'.repeat(MAX_INLINE_EVENT_BYTES.env) });
    await expect(
      eventForJob({ eventJson: json, delivery: 'env', instanceId: 'r-6-a1', expiresOn }),
    ).rejects.toThrow(/over the 65536 bytes a job can take by env, and no blob store is configured/);
  });
});
