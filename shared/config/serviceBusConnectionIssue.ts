/*
 * The one rule for what a Service Bus connection setting must look like, shared by the settings loader (start-up)
 * and the client factory (tests and tools that build a client directly). Messages never echo a connection string:
 * it may hold a key.
 */

/** The problem with a connection string, or undefined when it names an `sb://` endpoint. */
export function connectionStringIssue(connectionString: string): string | undefined {
  return /(^|;)\s*Endpoint\s*=\s*sb:\/\/[^;]+/i.test(connectionString)
    ? undefined
    : 'ServiceBusConnection: expected a connection string containing "Endpoint=sb://<host>"';
}

/** The problem with a fully qualified namespace, or undefined when it is a host name (optionally with a port). */
export function namespaceIssue(namespace: string): string | undefined {
  return /^(?:[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}|localhost)(?::\d+)?$/.test(namespace)
    ? undefined
    : `ServiceBusConnection__fullyQualifiedNamespace: expected a host name such as mybus.servicebus.windows.net, got "${namespace}"`;
}
