/**
 * Application properties that steer the dispatcher. Lower-case and hyphenated because the Functions host
 * camel-cases property names (first letter only). Every name starting with `dispatch-` is reserved: the trigger
 * honours them only under a valid `dispatch-signature` (see DispatchSigner).
 */
export const DispatchProperty = {
  /** The one route a requeued or resubmitted copy is for. */
  route: 'dispatch-route',
  /** 1-based attempt number (absent = 1). */
  attempt: 'dispatch-attempt',
  /** Resubmission generation set by `dispatcher dlq resubmit` (absent = 0, the original delivery). */
  resubmission: 'dispatch-resubmission',
  deadLetterReason: 'dispatch-dead-letter-reason',
  /** Informational text (not signed): what an operator reads next to the signed reason. */
  deadLetterDescription: 'dispatch-dead-letter-description',
  /** Informational text (not signed): what went wrong on the previous attempt. */
  lastError: 'dispatch-last-error',
  /** `v1.<base64url HMAC-SHA256>` over the event identity and the steering properties above. */
  signature: 'dispatch-signature',
} as const;

/** The reserved prefix: a sender may not set any property that starts with it. */
export const DISPATCH_PROPERTY_PREFIX = 'dispatch-';
