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
