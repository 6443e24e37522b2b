import type { AddressInfo, Socket } from 'node:net';
import { create_container } from 'rhea';
import { loadEmulatorConfig, type EmulatorConfig } from './emulatorConfig';
import { ServiceBusBroker } from './serviceBusBroker';
import { ServiceBusNamespace } from './serviceBusNamespace';
import { StatePersistence } from './statePersistence';

export interface ServiceBusEmulatorOptions {
  /** 0 or undefined = a random free port; the CLI defaults to 5672. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Path to a Config.json in the official emulator's format, or the parsed object. Required. */
  config?: string | EmulatorConfig;
  /**
   * When set, every entity's messages (active, scheduled, deferred, dead-lettered, delivery counts,
   * sequence numbers, duplicate-detection history) persist there and are reloaded on start.
   */
  stateDir?: string;
  log?: (line: string) => void;
}

export interface RunningServiceBusEmulator {
  port: number;
  /** `Endpoint=sb://localhost:<port>;...;UseDevelopmentEmulator=true;` as the SDK expects it. */
  connectionString: string;
  close(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 100;

/** Starts the emulator; resolves once it is listening. */
export async function startServiceBusEmulator(
  options: ServiceBusEmulatorOptions,
): Promise<RunningServiceBusEmulator> {
  if (options.config === undefined) {
    throw new Error(
      'startServiceBusEmulator: options.config is required (a Config.json path or its parsed object)',
    );
  }
  const log = options.log ?? ((): void => undefined);
  const config = loadEmulatorConfig(options.config);
  const ns = new ServiceBusNamespace(config);
  const persistence = options.stateDir ? new StatePersistence(options.stateDir, ns, log) : undefined;
  persistence?.load();

  const container = create_container({
    id: 'servicebus-emulator',
    // The broker settles explicitly: sends are accepted only once stored (and persisted), and the SDK tells
    // abandon (modified) apart from release.
    autoaccept: false,
    treat_modified_as_released: false,
  });
  const broker = new ServiceBusBroker(ns, log, () => persistence?.whenDurable() ?? Promise.resolve());
  broker.register(container);

  const host = options.host ?? '127.0.0.1';
  const server = container.listen({ port: options.port ?? 0, host });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(new Error(`Service Bus emulator cannot listen on ${host}:${options.port ?? 0}: ${err.message}`));
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log(`server error: ${err.message}`));
  const port = (server.address() as AddressInfo).port;

  const sweeper = setInterval(() => ns.sweep(), SWEEP_INTERVAL_MS);
  sweeper.unref();
  persistence?.start();
  log(`Service Bus emulator listening on ${host}:${port}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sweeper);
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Cutting the sockets (rather than an AMQP close handshake) is what the SDK handles best: its links see
      // `disconnected`, so a later client.close() resolves at once instead of waiting for detach replies.
      for (const socket of sockets) socket.destroy();
      await serverClosed;
      await persistence?.close();
      log('Service Bus emulator stopped');
    })();
    return closing;
  };

  return {
    port,
    connectionString: `Endpoint=sb://localhost:${port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
    close,
  };
}
