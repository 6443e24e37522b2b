/** A CloudEvents 1.0 event in structured JSON mode, as the dispatcher sees it after validation. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: unknown;
  data_base64?: string;
  /** Extension attributes travel unchanged. */
  [extension: string]: unknown;
}

/** The validated event plus the exact JSON text that is forwarded to jobs and resent on requeue. */
export interface ParsedEvent {
  event: CloudEvent;
  /** The body as received when it arrived as text/bytes; the re-serialised object otherwise. */
  json: string;
  /** UTF-8 size of `json`. */
  sizeBytes: number;
}
