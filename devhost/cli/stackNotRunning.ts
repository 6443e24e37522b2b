import { connect } from 'node:net';

const localHosts = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** What `send` and `watch` say instead of a bare ECONNREFUSED when the local stack is down. */
export function stackNotRunningMessage(what: string, address: string, flag: string): string {
  return (
    `the local dispatcher stack is not running: nothing answers at ${address} (${what}). ` +
    `Start it with \`npm run dev\` (or \`npx dispatcher dev\`) and try again, or pass ${flag} for another one.`
  );
}

/** Whether `err` (or its cause, as fetch wraps it) is a refused TCP connection. */
export function isConnectionRefused(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const record = e as { code?: unknown; cause?: unknown; errors?: unknown };
    if (record.code === 'ECONNREFUSED') return true;
    // Node's happy-eyeballs connect (localhost: ::1 and 127.0.0.1) reports an AggregateError of both refusals.
    if (Array.isArray(record.errors) && record.errors.some((inner) => isConnectionRefused(inner)))
      return true;
    e = record.cause;
  }
  return false;
}

/** The `sb://host:port` of a Service Bus connection string when it points at this machine, else undefined. */
export function localServiceBusEndpoint(
  connectionString: string,
): { host: string; port: number } | undefined {
  const match = /(?:^|;)\s*Endpoint=sb:\/\/([^;/:]+|\[[^\]]+\])(?::(\d+))?/i.exec(connectionString);
  if (!match?.[1] || !localHosts.has(match[1].toLowerCase())) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port: match[2] ? Number(match[2]) : 5672 };
}

/**
 * Resolves when something accepts a TCP connection at host:port; rejects with the stack-not-running message
 * when the connection is refused (other errors are left to the SDK, which reports them in its own words).
 * Why probe first: against a closed local port the Service Bus SDK fails with a bare ECONNREFUSED.
 */
export function assertListening(host: string, port: number, what: string, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(5000);
    const done = (err?: unknown): void => {
      socket.destroy();
      if (err !== undefined && isConnectionRefused(err))
        reject(new Error(stackNotRunningMessage(what, `${host}:${port}`, flag)));
      else resolve();
    };
    socket.once('connect', () => done());
    socket.once('timeout', () => done());
    socket.once('error', (err) => done(err));
  });
}
