/** Bounds applied while an event is read, so that a hostile body is rejected before it can cost anything. */
export interface EventLimits {
  /** DISPATCH_MAX_EVENT_BYTES: larger bodies are poison. */
  maxEventBytes: number;
  /** Deepest nesting of JSON objects/arrays accepted anywhere in the event (the event object is level 1). */
  maxDepth?: number;
}

/**
 * JSON.stringify and structured clone recurse and throw RangeError well before 5,000 levels on Node 20, and
 * the event is stringified (ledger, requeue copies) and cloned (Durable input) after parsing. 64 levels is
 * far more than any real event payload needs and far below the point where any of those steps fails.
 */
export const DEFAULT_MAX_EVENT_DEPTH = 64;

/**
 * Linux caps one environment string (`NAME=value` and its terminating NUL) at 128 KiB (MAX_ARG_STRLEN), in a
 * container as on the local stack: a larger DISPATCH_EVENT could never start the job (`E2BIG`). An event over
 * this is refused for routes that deliver it by environment, as InvalidEvent naming the route and the way out.
 */
export const MAX_ENV_EVENT_BYTES = 128 * 1024 - 'DISPATCH_EVENT='.length - 1;

/**
 * Longest accepted value (UTF-16 code units) of each string attribute; an extension string is bounded by
 * `extension`. The event's attributes travel where its body does not: the event ledger (an Azure Table
 * property holds at most 32 K characters and an id or source is stored beside its key), the status API's
 * URLs, log lines, the orchestration's custom status and the dead-letter description (which Service Bus keeps
 * in a 64 KB header). Bounding them here means one rule rejects a 300 KB id as InvalidEvent before any of those
 * can fail on it. The values are far above what real producers send (ids are UUIDs or ULIDs, sources URIs,
 * types reverse-DNS names) and keep a record of the identity well under the Table and header limits:
 * - `id` 256 and `type` 256: a UUID is 36 characters, and Event Grid's own event types are under 100;
 * - `source` 1,024 and `subject` 1,024: URI-references and resource paths (an ARM resource id is rarely
 *   over 500);
 * - `dataschema` 2,048: a URL, as browsers and CDNs bound them;
 * - `datacontenttype` 256: RFC 6838 caps a media type's names at 127 characters each;
 * - `extension` 4,096: a W3C `traceparent` is 55 characters, `tracestate` at most 512 list members' worth.
 */
export const MAX_ATTRIBUTE_LENGTH = {
  id: 256,
  type: 256,
  source: 1024,
  subject: 1024,
  dataschema: 2048,
  datacontenttype: 256,
  extension: 4096,
} as const;
