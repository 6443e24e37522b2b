import { RestError } from '@azure/core-rest-pipeline';
import {
  DispatchError,
  PermanentProviderError,
  TransientProviderError,
  ensureErrorType,
} from '../../shared/errors/dispatchErrors';

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** The Storage error code (`ContainerNotFound`, `TableNotFound`, `AuthorizationPermissionMismatch`...). */
export function storageErrorCode(err: unknown): string | undefined {
  if (!(err instanceof RestError)) return undefined;
  const details = err.details as { errorCode?: unknown; odataError?: { code?: unknown } } | undefined;
  const code = details?.errorCode ?? details?.odataError?.code ?? err.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The ONE place that maps Blob and Table failures to the dispatcher's errors: throttling, 5xx, timeouts and
 * network errors are transient; authorization and everything else permanent, with the fix in the message.
 * `what` names the operation and the resource (`write blob job-logs/r/e/a1.log`).
 */
export function classifyStorageError(err: unknown, what: string): DispatchError {
  if (err instanceof DispatchError) return err;
  const error = ensureErrorType(err);
  const status = err instanceof RestError ? err.statusCode : undefined;
  const code = storageErrorCode(err);
  const detail = `${what}: ${status ?? 'no response'}${code ? ` ${code}` : ''}: ${error.message.split('\n')[0]}`;
  if (status === undefined || TRANSIENT_STATUS.has(status))
    return new TransientProviderError(detail, code, undefined, { cause: err });
  if (status === 403) {
    return new PermanentProviderError(
      `${detail} (the app identity needs Storage Blob Data Contributor on the container, or Storage Table Data Contributor on the table)`,
      code,
      { cause: err },
    );
  }
  return new PermanentProviderError(detail, code, { cause: err });
}
