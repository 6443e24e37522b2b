import { createHash } from 'node:crypto';

/**
 * Table keys may not contain `/ \ # ?` or control characters and are at most 1 KiB; event ids and sources
 * (URIs) may contain anything. encodeURIComponent escapes every forbidden character, keeps keys readable in
 * Storage Explorer and never produces a bare `%` or `:`, so:
 * - `%` stands for an empty value (a message that was not a readable CloudEvent has no source),
 * - `%h<sha256 hex>` for a value too long to be a key (the original is kept in the entity),
 * - `:` separates the parts of an attempt row's key.
 */
const MAX_ENCODED = 400;

export function keyPart(value: string): string {
  if (value === '') return '%';
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    // URIError on a lone surrogate (not well-formed UTF-16): hashed like an overlong value.
    return `%h${createHash('sha256').update(value).digest('hex')}`;
  }
  return encoded.length <= MAX_ENCODED ? encoded : `%h${createHash('sha256').update(value).digest('hex')}`;
}

/** PartitionKey: the event id, so every record of an id (all sources, all attempts) is one partition query. */
export function partitionKey(eventId: string): string {
  return keyPart(eventId);
}

/** RowKey of the event's own row. */
export function eventRowKey(source: string): string {
  return keyPart(source);
}

/**
 * RowKey of one attempt; the zero-padded attempt keeps attempts in order within a route. A resubmission starts
 * again at attempt 1, so its attempts carry their generation (`r<generation>:`, after every original attempt);
 * the original delivery's keys have none, as before resubmission existed.
 */
export function attemptRowKey(source: string, route: string, attempt: number, resubmission = 0): string {
  const pad = (n: number): string => String(n).padStart(6, '0');
  const generation = resubmission > 0 ? `r${pad(resubmission)}:` : '';
  return `${keyPart(source)}:${route}:${generation}${pad(attempt)}`;
}

/**
 * One source's attempt rows are exactly the RowKeys in [`<source>:`, `<source>;`): `;` follows `:`, and no
 * other source's key starts with `<source>:` because `:` never occurs inside a key part.
 */
export function attemptRowKeyRange(source: string): { from: string; below: string } {
  return { from: `${keyPart(source)}:`, below: `${keyPart(source)};` };
}
