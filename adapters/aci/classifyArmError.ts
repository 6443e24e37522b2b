import { isRestError } from '@azure/core-rest-pipeline';
import { isNotFound } from '../../shared/errors/isNotFound';
import {
  CapacityProviderError,
  DispatchError,
  PermanentProviderError,
  TransientProviderError,
} from '../../shared/errors/dispatchErrors';

/**
 * ARM / ACI error codes that mean "this region (or subscription) cannot take the group right now": the
 * orchestration moves on to the route's next fallback target instead of hammering the same one.
 * Several arrive with HTTP 400 or 409 (ContainerGroupQuotaReached is a 400, ServiceUnavailable a 409),
 * so codes are checked before status classes.
 */
export const capacityErrorCodes: ReadonlySet<string> = new Set(
  [
    'ContainerGroupQuotaReached',
    'ServiceUnavailable',
    'SkuNotAvailable',
    'ResourceRequestsNotAvailable',
    'InsufficientCapacity',
    'AllocationFailed',
    'ZonalAllocationFailed',
    'QuotaExceeded',
    'OperationNotAllowed',
    'StandardCoresQuotaExceeded',
  ].map((code) => code.toLowerCase()),
);

/**
 * Codes that look like client errors but are worth retrying on the same target. `RegistryErrorResponse`
 * is ACI's answer when the registry itself answered badly (Docker Hub rate limit: "Please retry later").
 */
export const transientErrorCodes: ReadonlySet<string> = new Set(
  [
    'RegistryErrorResponse',
    'TooManyRequests',
    'Conflict',
    'AnotherOperationInProgress',
    'OperationPreempted',
    'InternalServerError',
    'GatewayTimeout',
    'RetryableError',
    'ResourceGroupBeingDeleted',
  ].map((code) => code.toLowerCase()),
);

/** Codes that no retry can fix: the image cannot be pulled, the spec or the identity is wrong. */
export const permanentErrorCodes: ReadonlySet<string> = new Set(
  [
    'InaccessibleImage',
    'InvalidImageRegistryIdentity',
    'InvalidImageRegistryCredential',
    'ImageRegistryCredentialsNotProvided',
    'InvalidContainerGroupName',
    'InvalidRequestContent',
    'InvalidParameter',
    'InvalidResourceLocation',
    'LocationNotAvailableForResourceType',
    'MissingSubscriptionRegistration',
    'SubscriptionNotFound',
    'ResourceGroupNotFound',
    'AuthorizationFailed',
    'InvalidAuthenticationToken',
    'InvalidAuthenticationTokenTenant',
    'LinkedAuthorizationFailed',
  ].map((code) => code.toLowerCase()),
);

/** Permanent codes that mean the image cannot be pulled (missing, or the registry refuses the identity). */
const imagePullErrorCodes: ReadonlySet<string> = new Set(
  [
    'InaccessibleImage',
    'InvalidImageRegistryIdentity',
    'InvalidImageRegistryCredential',
    'ImageRegistryCredentialsNotProvided',
  ].map((code) => code.toLowerCase()),
);

/** A permanent ARM failure with its typed reason: the error code decides, never the message text. */
function permanent(message: string, code: string, cause: unknown): PermanentProviderError {
  const reason = imagePullErrorCodes.has(code.toLowerCase()) ? 'ImagePullFailed' : 'PermanentError';
  return new PermanentProviderError(message, code, { cause, reason });
}

/** Node TLS failures: a misconfigured endpoint or trust store, not a blip. */
const tlsErrorCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** `@azure/core-lro` turns a failed long-running operation into a plain Error with this message shape. */
const lroFailurePattern = /^The long-running operation has failed(?:\. ([^.\s]+)\. ([\s\S]*))?$/;

/** Upper bound for a Retry-After we honour, so a bogus header cannot park a job for days. */
const maxRetryAfterMs = 15 * 60 * 1000;

/**
 * The ONE place that decides how an ARM / ACI failure is retried: Transient (same target again, after
 * Retry-After when given), Capacity (next fallback target) or Permanent (dead-letter, no more attempts).
 * `operation` names what was attempted (`create container group job-a1 in rg/westeurope`); it prefixes the
 * message so the orchestration's failure detail says where it happened.
 */
export function classifyArmError(err: unknown, operation: string): DispatchError {
  if (err instanceof DispatchError) return err;

  if (isRestError(err)) {
    const status = err.statusCode;
    const code = armErrorCode(err);
    const message = `${operation}: ${code ? `${code}: ` : ''}${err.message}`;
    const codeKey = code?.toLowerCase();
    if (status === undefined) {
      if (code && tlsErrorCodes.has(code)) return new PermanentProviderError(message, code, { cause: err });
      return new TransientProviderError(message, code ?? 'NetworkError', undefined, { cause: err });
    }
    // ARM's generic 503 also says ServiceUnavailable; only ACI's 4xx answer with that code means "no room here".
    const genericUnavailable = codeKey === 'serviceunavailable' && status >= 500;
    if (codeKey && capacityErrorCodes.has(codeKey) && !genericUnavailable) {
      return new CapacityProviderError(message, code, retryAfterMs(err), { cause: err });
    }
    if (status === 429 || status === 408 || status >= 500 || (codeKey && transientErrorCodes.has(codeKey))) {
      return new TransientProviderError(message, code ?? `Http${status}`, retryAfterMs(err), { cause: err });
    }
    return permanent(message, code ?? `Http${status}`, err);
  }

  if (err instanceof Error) {
    const lro = lroFailurePattern.exec(err.message);
    if (lro) {
      const code = lro[1];
      const message = `${operation}: ${code ? `${code}: ${lro[2] ?? ''}` : err.message}`;
      const codeKey = code?.toLowerCase();
      if (codeKey && capacityErrorCodes.has(codeKey))
        return new CapacityProviderError(message, code, undefined, { cause: err });
      if (code && codeKey && permanentErrorCodes.has(codeKey)) return permanent(message, code, err);
      // ACI reports a deployment that gave up pulling as a generic failure whose message says so.
      if (/failed to pull image|errimagepull|imagepullbackoff/i.test(lro[2] ?? '')) {
        return permanent(message, 'InaccessibleImage', err);
      }
      // An asynchronous provisioning failure without a known code: retrying is the safe default.
      return new TransientProviderError(message, code ?? 'ProvisioningFailed', undefined, { cause: err });
    }
    // @azure/identity: no usable credential (configuration), or Entra refused the token request.
    if (err.name === 'CredentialUnavailableError') {
      return new PermanentProviderError(`${operation}: ${err.message}`, 'CredentialUnavailable', {
        cause: err,
      });
    }
    if (err.name === 'AuthenticationError') {
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== undefined && (status === 429 || status >= 500)) {
        return new TransientProviderError(`${operation}: ${err.message}`, 'AuthenticationError', undefined, {
          cause: err,
        });
      }
      return new PermanentProviderError(`${operation}: ${err.message}`, 'AuthenticationError', {
        cause: err,
      });
    }
    if (err.name === 'AbortError') {
      return new TransientProviderError(`${operation}: ${err.message}`, 'Aborted', undefined, { cause: err });
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && tlsErrorCodes.has(code)) {
      return new PermanentProviderError(`${operation}: ${err.message}`, code, { cause: err });
    }
    return new TransientProviderError(
      `${operation}: ${err.message}`,
      typeof code === 'string' ? code : undefined,
      undefined,
      {
        cause: err,
      },
    );
  }

  return new TransientProviderError(`${operation}: ${String(err)}`);
}

/** True for an ARM 404 (the group or its resource group is gone). */
export function isArmNotFound(err: unknown): boolean {
  return isRestError(err) && isNotFound(err);
}

/**
 * core-client puts the ARM error body's `error.code` on RestError.code; fall back to the parsed body in case
 * a proxy or emulator answered with a non-standard shape.
 */
function armErrorCode(err: { code?: string; response?: { bodyAsText?: string | null } }): string | undefined {
  if (err.code && err.code !== 'REQUEST_SEND_ERROR') return err.code;
  const text = err.response?.bodyAsText;
  if (text) {
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown }; code?: unknown };
      const code = body.error?.code ?? body.code;
      if (typeof code === 'string' && code.length > 0) return code;
    } catch {
      // Not JSON: the status class decides.
    }
  }
  return err.code;
}

/** Retry-After in seconds or as an HTTP date, or the ms variants ARM sometimes sends. */
function retryAfterMs(err: {
  response?: { headers: { get(name: string): string | undefined } };
}): number | undefined {
  const headers = err.response?.headers;
  if (!headers) return undefined;
  for (const [name, factor] of [
    ['retry-after-ms', 1],
    ['x-ms-retry-after-ms', 1],
    ['retry-after', 1000],
  ] as const) {
    const value = headers.get(name);
    if (value === undefined || value.trim() === '') continue;
    const numeric = Number(value);
    if (Number.isFinite(numeric) && numeric >= 0) return Math.min(numeric * factor, maxRetryAfterMs);
    if (name === 'retry-after') {
      const date = Date.parse(value);
      if (Number.isFinite(date)) return Math.min(Math.max(0, date - Date.now()), maxRetryAfterMs);
    }
  }
  return undefined;
}
