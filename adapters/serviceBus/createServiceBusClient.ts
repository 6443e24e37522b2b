import type { TokenCredential } from '@azure/core-auth';
import { ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';
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
    if (!/(^|;)\s*Endpoint\s*=/i.test(connection.connectionString)) {
      throw new ConfigError(
        'ServiceBusConnection: expected a connection string containing Endpoint=sb://...',
      );
    }
    return new ServiceBusClient(connection.connectionString, options);
  }
  const namespace = connection.fullyQualifiedNamespace.trim();
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(namespace)) {
    throw new ConfigError(
      `ServiceBusConnection__fullyQualifiedNamespace: expected a host name such as mybus.servicebus.windows.net, got '${connection.fullyQualifiedNamespace}'`,
    );
  }
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
