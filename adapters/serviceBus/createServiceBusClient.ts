import type { TokenCredential } from '@azure/core-auth';
import { ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';
import { connectionStringIssue, namespaceIssue } from '../../shared/config/serviceBusConnectionIssue';
import { ConfigError } from '../../shared/errors/dispatchErrors';

/**
 * How the dispatcher reaches Service Bus: a connection string (local emulator only) or the namespace
 * host with a token credential (managed identity in Azure, `ServiceBusConnection__fullyQualifiedNamespace`).
 */
export type ServiceBusConnection =
  { connectionString: string } | { fullyQualifiedNamespace: string; credential: TokenCredential };

export function createServiceBusClient(
  connection: ServiceBusConnection,
  options?: ServiceBusClientOptions,
): ServiceBusClient {
  if ('connectionString' in connection) {
    const issue = connectionStringIssue(connection.connectionString);
    if (issue !== undefined) throw new ConfigError(issue);
    return new ServiceBusClient(connection.connectionString, options);
  }
  const namespace = connection.fullyQualifiedNamespace.trim();
  const issue = namespaceIssue(namespace);
  if (issue !== undefined) throw new ConfigError(issue);
  return new ServiceBusClient(namespace, connection.credential, options);
}

/** Either a client the caller owns (and closes) or the means to make one that the adapter owns. */
export type ServiceBusClientSource =
  | { client: ServiceBusClient }
  | { connection: ServiceBusConnection; clientOptions?: ServiceBusClientOptions };

/** The client an adapter uses, and whether closing the adapter must close it too. */
export function resolveServiceBusClient(source: ServiceBusClientSource): {
  client: ServiceBusClient;
  ownsClient: boolean;
} {
  if ('client' in source) return { client: source.client, ownsClient: false };
  return { client: createServiceBusClient(source.connection, source.clientOptions), ownsClient: true };
}
