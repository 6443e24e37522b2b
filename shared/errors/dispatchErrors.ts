import type { JobFailureReason } from './jobFailureReason';

/**
 * The small set of typed errors that decide retry vs dead-letter in ONE place ({@link classifyError}).
 * Activities throw these; orchestrations see them as failed tasks whose message starts with the error name
 * (`[TransientProviderError] ...`), so the decision survives the activity/orchestrator boundary.
 */
export abstract class DispatchError extends Error {
  abstract readonly kind: 'invalid-event' | 'config' | 'transient' | 'permanent';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The event itself is unusable (poison): dead-letter with reason `InvalidEvent`. */
export class InvalidEventError extends DispatchError {
  readonly kind = 'invalid-event' as const;
  /**
   * Where it is wrong: an attribute (`specversion`, `source`), `body`, `contentType`, an application property
   * (`cloudEvents_id`, `applicationProperties`), or a JSON position `json@<line>:<column>` (the event) /
   * `data@<line>:<column>` (a binary-mode body).
   */
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** A setting or the routes file is wrong: the app must not start. */
export class ConfigError extends DispatchError {
  readonly kind = 'config' as const;
  constructor(
    message: string,
    readonly issues: readonly string[] = [message],
  ) {
    super(message);
  }
}

/** Worth retrying soon: ARM 429 / 5xx, capacity, network. `retryAfterMs` honours Retry-After when given. */
export class TransientProviderError extends DispatchError {
  readonly kind = 'transient' as const;
  constructor(
    message: string,
    readonly code?: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Capacity or quota in one target region: transient in general, but the right answer is the next
 * fallback target rather than the same one again.
 */
export class CapacityProviderError extends TransientProviderError {}

/** Retrying cannot help (image cannot be pulled, invalid request, auth): dead-letter without more attempts. */
export class PermanentProviderError extends DispatchError {
  readonly kind = 'permanent' as const;
  /** Why the job can never run, decided by the provider that knows (default: a generic permanent error). */
  readonly reason: JobFailureReason;
  constructor(
    message: string,
    readonly code?: string,
    options?: { cause?: unknown; reason?: JobFailureReason },
  ) {
    super(message, options);
    this.reason = options?.reason ?? 'PermanentError';
  }
}

/** Normalises anything thrown into an Error (as @azure/functions' ensureErrorType does). */
export function ensureErrorType(err: unknown): Error {
  if (err instanceof Error) return err;
  if (typeof err === 'string') return new Error(err);
  try {
    return new Error(JSON.stringify(err));
  } catch {
    return new Error(String(err));
  }
}
