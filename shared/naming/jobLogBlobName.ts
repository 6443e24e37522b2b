import { createHash } from 'node:crypto';

/** Blob names are at most 1,024 characters; an event id longer than this (encoded) is hashed. */
const MAX_EVENT_SEGMENT = 512;

/**
 * Name of an attempt's archived log inside the job-logs container: `<route>/<eventId>/a<attempt>.log`. The
 * event id is one path segment: encodeURIComponent keeps ids such as UUIDs as they are and turns `/` (which
 * would add a virtual folder) into `%2F`; an id too long for a blob name becomes `sha256-<hex>`.
 */
export function jobLogBlobName(route: string, eventId: string, attempt: number): string {
  const encoded = encodeURIComponent(eventId);
  const segment =
    encoded.length <= MAX_EVENT_SEGMENT && encoded !== '.' && encoded !== '..'
      ? encoded
      : `sha256-${createHash('sha256').update(eventId, 'utf8').digest('hex')}`;
  return `${route}/${segment}/a${attempt}.log`;
}
