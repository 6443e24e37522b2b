import type { CloudEventV1 } from 'cloudevents';

/**
 * A CloudEvents 1.0 event as the dispatcher sees it after validation: the official SDK's event model
 * (`CloudEventV1`), narrowed to what validation guarantees. Extension attributes travel unchanged.
 */
export interface CloudEvent extends CloudEventV1<unknown> {
  specversion: '1.0';
  data_base64?: string;
}

/** How the event arrived (CloudEvents AMQP binding content modes). */
export type EventContentMode = 'structured' | 'binary';

/** The validated event plus the exact JSON text that is forwarded to jobs and resent on requeue. */
export interface ParsedEvent {
  event: CloudEvent;
  /**
   * Structured mode: the body as received when it arrived as text/bytes (BOM removed), the re-serialised
   * object otherwise. Binary mode: the event in the structured JSON format, built from the properties and body.
   */
  json: string;
  /** UTF-8 size of `json`. */
  sizeBytes: number;
  mode: EventContentMode;
}
