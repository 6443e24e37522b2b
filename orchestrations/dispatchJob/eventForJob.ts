import type { BlobRef, BlobStore } from '../../adapters/blob/blobStore';
import { PermanentProviderError } from '../../shared/errors/dispatchErrors';

/**
 * The largest event given inline. ACI documents no limit of its own on an environment variable; a process can
 * take at most 128 KiB per `NAME=value` string on Linux (MAX_ARG_STRLEN) and the ARM request at most 4 MiB, so
 * env stays at half the per-variable limit (the callback URL, token and route env share the process's space) and
 * a mounted file (a base64 secret volume inside the ARM request) at 1 MiB. Larger events go by URL: never cut.
 */
export const MAX_INLINE_EVENT_BYTES = { env: 64 * 1024, file: 1024 * 1024 } as const;

/** Where claim-checked events are kept (the events container) and read from. */
export interface ClaimCheckStore {
  blobStore: BlobStore;
  container: string;
}

export type JobEvent = { eventJson: string } | { eventUrl: string };

/**
 * The event as the job gets it: with `dataref` data from our own events container put back in `data` (producers
 * that used the claim check), inline when it fits the delivery, else written to the events container and handed
 * over as a read-only URL that expires with the attempt.
 */
export async function eventForJob(args: {
  eventJson: string;
  delivery: 'env' | 'file';
  instanceId: string;
  expiresOn: Date;
  store?: ClaimCheckStore;
}): Promise<JobEvent> {
  const full = await inlineDataref(args.eventJson, args.store, args.instanceId);
  const bytes = Buffer.byteLength(full, 'utf8');
  if (bytes <= MAX_INLINE_EVENT_BYTES[args.delivery]) return { eventJson: full };
  if (!args.store) {
    throw new PermanentProviderError(
      `job ${args.instanceId}: the event takes ${bytes} bytes, over the ${MAX_INLINE_EVENT_BYTES[args.delivery]} bytes a job can take by ${args.delivery}, and no blob store is configured for the claim check`,
      'InvalidJobSpec',
    );
  }
  const ref: BlobRef = { container: args.store.container, name: `jobs/${args.instanceId}.json` };
  await args.store.blobStore.write(ref, full, { contentType: 'application/cloudevents+json; charset=utf-8' });
  return { eventUrl: await args.store.blobStore.readOnlyUrl(ref, args.expiresOn) };
}

/** Only our own container is ever read: a producer must not make the dispatcher fetch arbitrary URLs. */
async function inlineDataref(
  eventJson: string,
  store: ClaimCheckStore | undefined,
  instanceId: string,
): Promise<string> {
  if (!store || !eventJson.includes('"dataref"')) return eventJson;
  const event = JSON.parse(eventJson) as Record<string, unknown>;
  const dataref = event.dataref;
  if (typeof dataref !== 'string' || 'data' in event || 'data_base64' in event) return eventJson;
  const prefix = store.blobStore.url({ container: store.container, name: '' }).replace(/\/?$/, '/');
  if (!dataref.startsWith(prefix)) return eventJson;
  const name = decodeURIComponent(new URL(dataref).pathname.slice(new URL(prefix).pathname.length));
  const content = await store.blobStore.read({ container: store.container, name });
  if (content === undefined) {
    throw new PermanentProviderError(
      `job ${instanceId}: the event's dataref ${dataref} does not exist`,
      'InvalidJobSpec',
    );
  }
  const type = typeof event.datacontenttype === 'string' ? event.datacontenttype : 'application/json';
  if (/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    try {
      return JSON.stringify({ ...event, data: JSON.parse(content.toString('utf8')) as unknown });
    } catch {
      // Declared JSON but is not: hand over the bytes as they are.
    }
  }
  return JSON.stringify({ ...event, data_base64: content.toString('base64') });
}
