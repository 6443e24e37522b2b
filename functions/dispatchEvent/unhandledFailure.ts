import {
  ConfigError,
  InvalidEventError,
  PermanentProviderError,
  ensureErrorType,
} from '../../shared/errors/dispatchErrors';
import { deadLetterCopy } from './deadLetterCopy';
import type { DispatchResult, InboundMessage } from './dispatchMessage';

/**
 * True for a failure that would recur on every delivery of the same message: a value the code could not handle
 * (TypeError, RangeError, URIError, SyntaxError: thrown by JSON, URI and string functions on odd input) or a
 * request the service refused as such (PermanentProviderError, e.g. a Table property over 64 KB). Retrying one
 * only loops the message to MaxDeliveryCountExceeded with no reason; anything else (network, throttling, a
 * service down) is worth the host's retry.
 */
export function isMessageFault(err: unknown): boolean {
  if (err instanceof ConfigError) return false;
  return (
    err instanceof InvalidEventError ||
    err instanceof PermanentProviderError ||
    err instanceof TypeError ||
    err instanceof RangeError ||
    err instanceof URIError ||
    err instanceof SyntaxError
  );
}

/**
 * The trigger's last resort for a failure no step handled: a message fault is dead-lettered as `InvalidEvent`
 * naming the error (so it never loops without a reason); any other failure is thrown again for the host to retry.
 */
export function unhandledFailure(message: InboundMessage, err: unknown): DispatchResult {
  if (!isMessageFault(err)) throw err;
  const error = ensureErrorType(err);
  const description = `the trigger could not handle this message (${error.name}: ${error.message.slice(0, 300)})`;
  return {
    kind: 'dead-letter',
    reason: 'InvalidEvent',
    description,
    copy: deadLetterCopy(message, 'InvalidEvent', description, undefined, undefined),
  };
}
