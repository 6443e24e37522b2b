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
