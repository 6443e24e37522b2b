import {
  CapacityProviderError,
  ConfigError,
  DispatchError,
  InvalidEventError,
  PermanentProviderError,
  TransientProviderError,
  ensureErrorType,
} from './dispatchErrors';
import type { JobFailureReason } from './jobFailureReason';

/** What to do about a failure: the ONE place where retry vs dead-letter is decided. */
export type ErrorClass = 'invalid-event' | 'config' | 'capacity' | 'transient' | 'permanent';

export interface ClassifiedError {
  class: ErrorClass;
  message: string;
  code?: string;
  retryAfterMs?: number;
  /** For a typed permanent failure: why the job can never run. */
  reason?: JobFailureReason;
}

const ERROR_NAMES =
  'InvalidEventError|ConfigError|CapacityProviderError|TransientProviderError|PermanentProviderError';
// Searched anywhere: the Functions host wraps activity failures ("Exception: [TransientProviderError] ...").
const NAME_TAG = new RegExp(`\\[(${ERROR_NAMES})\\]\\s*`);
const NAME_EXACT = new RegExp(`^(${ERROR_NAMES})$`);

/**
 * Classifies anything thrown. Typed errors are classified by type; errors that crossed the activity boundary as
 * plain messages keep their class through a `[ErrorName] ` prefix ({@link tagErrorMessage}). Anything unknown
 * counts as transient: a bug or an outage deserves another try, and attempts are bounded anyway.
 */
export function classifyError(err: unknown): ClassifiedError {
  const error = ensureErrorType(err);
  if (error instanceof DispatchError) {
    const base = { message: error.message };
    if (error instanceof CapacityProviderError)
      return { ...base, class: 'capacity', ...extra(error.code, error.retryAfterMs) };
    if (error instanceof TransientProviderError)
      return { ...base, class: 'transient', ...extra(error.code, error.retryAfterMs) };
    if (error instanceof PermanentProviderError)
      return { ...base, class: 'permanent', reason: error.reason, ...extra(error.code) };
    if (error instanceof InvalidEventError) return { ...base, class: 'invalid-event' };
    if (error instanceof ConfigError) return { ...base, class: 'config' };
  }
  const match = NAME_TAG.exec(error.message);
  if (match)
    return {
      class: BY_NAME[match[1]!] ?? 'transient',
      message: error.message.slice(match.index + match[0].length),
    };
  // durable-functions' TaskFailedError keeps the activity error's type in failureDetails.errorType.
  const errorType = (error as { failureDetails?: { errorType?: unknown; errorMessage?: unknown } })
    .failureDetails;
  if (typeof errorType?.errorType === 'string' && NAME_EXACT.test(errorType.errorType)) {
    const message = typeof errorType.errorMessage === 'string' ? errorType.errorMessage : error.message;
    return { class: BY_NAME[errorType.errorType] ?? 'transient', message };
  }
  return { class: 'transient', message: error.message };
}

const BY_NAME: Record<string, ErrorClass> = {
  InvalidEventError: 'invalid-event',
  ConfigError: 'config',
  CapacityProviderError: 'capacity',
  TransientProviderError: 'transient',
  PermanentProviderError: 'permanent',
};

/** `[ErrorName] message`: how a typed error's class survives serialisation into a failed activity. */
export function tagErrorMessage(err: unknown): string {
  const error = ensureErrorType(err);
  return error instanceof DispatchError ? `[${error.name}] ${error.message}` : error.message;
}

function extra(code?: string, retryAfterMs?: number): { code?: string; retryAfterMs?: number } {
  return { ...(code !== undefined ? { code } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}
