/**
 * True when a service answered "not found": an Azure SDK RestError with status 404, or the durable-functions
 * client's error for a missing instance (it reports the webhook's HTTP 404 only in its message).
 */
export function isNotFound(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { statusCode } = err as { statusCode?: unknown };
  if (typeof statusCode === 'number') return statusCode === 404;
  // raiseEvent to a missing instance rejects with "No instance with ID '<id>' found." and no status.
  return (
    err instanceof Error &&
    (/\b404\b/.test(err.message) || /^No instance with ID '.*' found\.$/.test(err.message))
  );
}
