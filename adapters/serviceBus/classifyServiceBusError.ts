import { isServiceBusError } from '@azure/service-bus';
import {
  DispatchError,
  PermanentProviderError,
  TransientProviderError,
} from '../../shared/errors/dispatchErrors';

/**
 * Send failures -> retry decision: what the SDK marks retryable (busy, timeout, connection loss) is
 * transient; a missing or disabled entity, a message over the size limit or an auth failure is permanent.
 * The SDK has already spent its own retries before we see the error.
 */
export function classifyServiceBusError(err: unknown, operation: string): DispatchError {
  if (err instanceof DispatchError) return err;
  if (isServiceBusError(err)) {
    const message = `${operation}: ${err.code}: ${err.message}`;
    return err.retryable ||
      err.code === 'ServiceBusy' ||
      err.code === 'ServiceTimeout' ||
      err.code === 'ServiceCommunicationProblem'
      ? new TransientProviderError(message, err.code, undefined, { cause: err })
      : new PermanentProviderError(message, err.code, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  const rawCode = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  const code = typeof rawCode === 'string' ? rawCode : undefined;
  if (code === 'UnauthorizedError' || (err instanceof Error && err.name === 'CredentialUnavailableError')) {
    return new PermanentProviderError(`${operation}: ${message}`, code ?? 'CredentialUnavailable', {
      cause: err,
    });
  }
  return new TransientProviderError(`${operation}: ${message}`, code, undefined, { cause: err });
}
