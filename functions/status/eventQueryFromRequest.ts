import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { EventQuery } from './jobStatus';

/**
 * The event a request under `events/{eventId}[?source=]` names, or the 400 answer saying what was wrong. One
 * rule for every such endpoint (status, cancel): CloudEvents ids are unique only within a source, so `source` is
 * optional, but an empty one is a mistake rather than "every source".
 */
export function eventQueryFromRequest(request: HttpRequest): EventQuery | { invalid: HttpResponseInit } {
  const id = request.params.eventId ?? '';
  if (id === '') return invalid('eventId: expected the CloudEvent id in the path');
  const source = request.query.get('source') ?? undefined;
  if (source === '') return invalid('source: expected the CloudEvent source, or no source parameter');
  return { id, ...(source !== undefined ? { source } : {}) };
}

/** " from source '<source>'" when the query names one: for messages about the event. */
export function fromSource(query: EventQuery): string {
  return query.source !== undefined ? ` from source '${query.source}'` : '';
}

function invalid(error: string): { invalid: HttpResponseInit } {
  return { invalid: { status: 400, jsonBody: { error } } };
}
