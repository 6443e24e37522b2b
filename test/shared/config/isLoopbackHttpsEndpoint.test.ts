import { isLoopbackHttpsEndpoint } from '../../../shared/config/isLoopbackHttpsEndpoint';
import { connectionStringIssue, namespaceIssue } from '../../../shared/config/serviceBusConnectionIssue';

describe('isLoopbackHttpsEndpoint', () => {
  test.each(['https://localhost:8443', 'https://127.0.0.1:8443/', 'https://127.1.2.3', 'https://[::1]:9000'])(
    '%s is loopback https',
    (endpoint) => expect(isLoopbackHttpsEndpoint(endpoint)).toBe(true),
  );

  test.each([
    'http://127.0.0.1:8443',
    'https://management.azure.com',
    'https://localhost.example.com',
    'not a url',
    undefined,
  ])('%s is not', (endpoint) => expect(isLoopbackHttpsEndpoint(endpoint)).toBe(false));
});

describe('Service Bus connection settings', () => {
  test('a connection string must name an sb:// endpoint; the message never echoes it', () => {
    expect(connectionStringIssue('Endpoint=sb://localhost:5672;SharedAccessKey=k')).toBeUndefined();
    const issue = connectionStringIssue('SharedAccessKey=secret-key');
    expect(issue).toContain('ServiceBusConnection');
    expect(issue).not.toContain('secret-key');
  });

  test('a namespace is a host name, optionally with a port', () => {
    expect(namespaceIssue('mybus.servicebus.windows.net')).toBeUndefined();
    expect(namespaceIssue('localhost:5672')).toBeUndefined();
    expect(namespaceIssue('sb://mybus')).toContain('ServiceBusConnection__fullyQualifiedNamespace');
  });
});
