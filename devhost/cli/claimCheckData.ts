import { BlobServiceClient } from '@azure/storage-blob';
import { DEFAULT_EVENTS_CONTAINER } from '../../shared/config/readStorageSettings';

/**
 * Service Bus Standard takes messages up to 256 KB (body and headers); above this many body bytes the CLI sends
 * the data by reference instead, leaving room for the headers and properties.
 */
export const MAX_INLINE_MESSAGE_BODY_BYTES = 200 * 1024;

/**
 * The CloudEvents claim check (`dataref` extension): uploads `data` as JSON to the app's events container under
 * `dataref/<eventId>.json` and returns the attributes that replace `data`. The dispatcher reads only blobs in its
 * own events container, with its own identity, and hands the job the whole event.
 */
export async function claimCheckData(
  blobConnectionString: string,
  eventId: string,
  data: unknown,
  container = DEFAULT_EVENTS_CONTAINER,
): Promise<{ datacontenttype: string; dataref: string }> {
  const client = BlobServiceClient.fromConnectionString(blobConnectionString).getContainerClient(container);
  await client.createIfNotExists();
  const blob = client.getBlockBlobClient(`dataref/${encodeURIComponent(eventId)}.json`);
  await blob.uploadData(Buffer.from(JSON.stringify(data), 'utf8'), {
    blobHTTPHeaders: { blobContentType: 'application/json' },
  });
  return { datacontenttype: 'application/json', dataref: blob.url };
}
