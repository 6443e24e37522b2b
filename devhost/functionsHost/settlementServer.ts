import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import rhea from 'rhea';

/** One way to settle a message the host is holding for an SDK-bound trigger invocation. */
export interface SettlementTarget {
  complete(): Promise<void>;
  abandon(propertiesToModify?: Record<string, unknown>): Promise<void>;
  deadLetter(
    reason?: string,
    description?: string,
    propertiesToModify?: Record<string, unknown>,
  ): Promise<void>;
  defer(propertiesToModify?: Record<string, unknown>): Promise<void>;
  renewLock(): Promise<void>;
}

/** Messages held by lock token, shared by all triggers of one host. */
export class HeldMessages {
  readonly #byLockToken = new Map<string, SettlementTarget>();

  hold(lockToken: string, target: SettlementTarget): void {
    this.#byLockToken.set(lockToken.toLowerCase(), target);
  }

  release(lockToken: string): void {
    this.#byLockToken.delete(lockToken.toLowerCase());
  }

  get(lockToken: string): SettlementTarget | undefined {
    return this.#byLockToken.get(lockToken.toLowerCase());
  }
}

const requireFromHere = createRequire(__filename);

/** The proto shipped with the extension: the host side must speak exactly what the client sends. */
export function settlementProtoPath(): string {
  const pkg = requireFromHere.resolve('@azure/functions-extensions-servicebus/package.json');
  return join(dirname(pkg), 'dist', 'proto', 'settlement.proto');
}

type Callback = grpc.sendUnaryData<Record<string, never>>;
interface LockTokenRequest {
  locktoken?: string;
  propertiesToModify?: Buffer;
  deadletterReason?: { value?: string } | string | null;
  deadletterErrorDescription?: { value?: string } | string | null;
}

function unwrapString(value: LockTokenRequest['deadletterReason']): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  return value.value;
}

/** propertiesToModify is an AMQP-encoded map (what the .NET extension decodes); empty means none. */
export function decodePropertiesToModify(bytes: Buffer | undefined): Record<string, unknown> | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  const types = rhea.types as unknown as {
    Reader: new (b: Buffer) => { read(): unknown };
    unwrap(v: unknown): unknown;
  };
  const value = types.unwrap(new types.Reader(bytes).read());
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('propertiesToModify must be an AMQP-encoded map');
  }
  return value as Record<string, unknown>;
}

function grpcError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

export interface SettlementServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The host side of @azure/functions-extensions-servicebus: a gRPC `Settlement` service on loopback that
 * settles held messages by lock token. Sessions are not supported (no session-enabled triggers here).
 */
export async function startSettlementServer(held: HeldMessages, port = 0): Promise<SettlementServer> {
  const protoPath = settlementProtoPath();
  const definition = protoLoader.loadSync(protoPath, {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [dirname(protoPath)],
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as Record<
    string,
    { service: grpc.ServiceDefinition }
  >;
  const service = loaded.Settlement?.service;
  if (!service) throw new Error(`${protoPath}: no Settlement service`);

  const settle =
    (action: string, run: (target: SettlementTarget, request: LockTokenRequest) => Promise<void>) =>
    (call: grpc.ServerUnaryCall<LockTokenRequest, unknown>, callback: Callback): void => {
      const request = call.request;
      const token = request.locktoken ?? '';
      const target = held.get(token);
      if (!target) {
        callback(
          grpcError(
            grpc.status.NOT_FOUND,
            `${action}: no message with lock token '${token}' is held by this host`,
          ),
        );
        return;
      }
      run(target, request).then(
        () => callback(null, {}),
        (err: unknown) =>
          callback(
            grpcError(
              grpc.status.UNKNOWN,
              `${action} failed: ${err instanceof Error ? err.message : String(err)}`,
            ),
          ),
      );
    };
  const unsupported = (name: string) => (_call: unknown, callback: Callback) =>
    callback(grpcError(grpc.status.UNIMPLEMENTED, `${name}: sessions are not supported by the local host`));

  const server = new grpc.Server();
  server.addService(service, {
    Complete: settle('Complete', (t) => t.complete()),
    Abandon: settle('Abandon', (t, r) => t.abandon(decodePropertiesToModify(r.propertiesToModify))),
    Deadletter: settle('Deadletter', (t, r) =>
      t.deadLetter(
        unwrapString(r.deadletterReason),
        unwrapString(r.deadletterErrorDescription),
        decodePropertiesToModify(r.propertiesToModify),
      ),
    ),
    Defer: settle('Defer', (t, r) => t.defer(decodePropertiesToModify(r.propertiesToModify))),
    RenewMessageLock: settle('RenewMessageLock', (t) => t.renewLock()),
    GetSessionState: unsupported('GetSessionState'),
    SetSessionState: unsupported('SetSessionState'),
    ReleaseSession: unsupported('ReleaseSession'),
    RenewSessionLock: unsupported('RenewSessionLock'),
  });
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // In-flight calls are settlements that already reached the broker or never will: don't hang on them.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}

let pinnedPort: number | undefined;

/**
 * The extension builds its gRPC client ONCE per process (per module registry) from `--host/--port` in
 * process.argv, so the first host picks a port and every later host in this process binds the same one.
 */
export function pinnedSettlementPort(): number | undefined {
  return pinnedPort;
}

const workerFlags = new Set(['--host', '--port', '--functions-grpc-max-message-length']);

/**
 * Puts the worker's `--host/--port/--functions-grpc-max-message-length` flags in process.argv, replacing
 * any earlier ones (a CLI's own `--port 7071` would otherwise turn the extension's `port` into an array).
 */
export function setSettlementArgv(port: number): void {
  pinnedPort = port;
  const argv = process.argv;
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const flag = arg.split('=')[0] ?? '';
    if (i >= 2 && workerFlags.has(flag)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    kept.push(arg);
  }
  kept.push(
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--functions-grpc-max-message-length',
    '2147483647',
  );
  argv.splice(0, argv.length, ...kept);
}
