import * as fs from 'node:fs';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AciEmulatorService } from './aciEmulatorService';
import { validateAciQuota, type AciQuota } from './aciQuota';
export { killPersistedContainers } from './aciEmulatorState';
import { defaultCertDir, loadOrCreateEmulatorCertificate } from './emulatorCertificate';
import { validateFaultRates, type FaultRates } from './faultRates';
import { loadImagesMap, parseImagesMap } from './loadImagesMap';

export interface AciEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** JSON file `{ "<image>": ["argv0", ...] }`: what an image runs when the group gives no command. */
  imagesFile?: string;
  /** Same as imagesFile, inline; wins over the file for the same image. */
  images?: Record<string, string[]>;
  /** Where the CA and server certificate are cached (default: <os.tmpdir()>/dispatcher-aci-emulator-tls). */
  certDir?: string;
  /** Locations that answer every create with ACI's capacity error (409 ServiceUnavailable). */
  unavailableLocations?: string[];
  /** How long a group whose image cannot be "pulled" stays Creating before its deployment fails (default 5 min). */
  imagePullTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL when stopping or deleting (default 2000 ms). */
  killGraceMs?: number;
  /**
   * Persist groups (spec without secure values or secret contents, states, exit codes, logs, container files)
   * and pending operations there. close() then leaves running containers running, and an emulator started
   * again on the same dir re-attaches to them (see README).
   */
  stateDir?: string;
  /**
   * ACI's limits per (subscription, region): container groups, cores, creates per 5 minutes / per hour.
   * Unset ones keep ACI's defaults (100, 100, 100, 300). Parse the CLI syntax with `parseAciQuota`.
   */
  quota?: Partial<AciQuota>;
  /** Transient ARM faults at a rate, deterministic for a seed. Parse the CLI syntax with `parseFaultRates`. */
  faults?: FaultRates;
  log?: (line: string) => void;
}

export interface RunningAciEmulator {
  /** https://localhost:<port> — pass as the SDK's `endpoint` (ARM_ENDPOINT). */
  endpoint: string;
  caCertPem: string;
  caCertPath: string;
  port: number;
  /**
   * Stops the server. Without a stateDir, or with `stopContainers`, kills every container process; with a
   * stateDir, running containers keep running for the next emulator on that dir.
   */
  close(options?: { stopContainers?: boolean }): Promise<void>;
}

function validatePort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`ACI emulator: port must be an integer from 0 to 65535, got ${port}`);
  }
}

/** Starts the local ARM Microsoft.ContainerInstance emulator over HTTPS (the ARM SDK refuses bearer tokens over http). */
export async function startAciEmulator(options: AciEmulatorOptions = {}): Promise<RunningAciEmulator> {
  const port = options.port ?? 0;
  validatePort(port);
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  const images = options.imagesFile ? loadImagesMap(options.imagesFile) : new Map<string, string[]>();
  if (options.images)
    for (const [image, argv] of parseImagesMap(options.images, 'options.images')) images.set(image, argv);
  const unavailableLocations = (options.unavailableLocations ?? []).map((l) =>
    l.toLowerCase().replace(/\s+/g, ''),
  );
  const quota = validateAciQuota(options.quota ?? {}, 'ACI emulator: options.quota');
  const faultRates = options.faults
    ? validateFaultRates(options.faults, 'ACI emulator: options.faults')
    : undefined;
  const certificate = await loadOrCreateEmulatorCertificate(options.certDir ?? defaultCertDir());
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aci-emulator-'));
  const service = new AciEmulatorService({
    images,
    workDir,
    unavailableLocations,
    imagePullTimeoutMs: options.imagePullTimeoutMs ?? 5 * 60 * 1000,
    killGraceMs: options.killGraceMs ?? 2000,
    quota,
    ...(faultRates ? { faultRates } : {}),
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    log,
  });
  try {
    service.loadState();
  } catch (err) {
    fs.rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
  const sockets = new Set<Socket>();
  const server = https.createServer(
    { key: certificate.serverKeyPem, cert: certificate.serverCertPem },
    (req, res) => {
      void service.handle(req, res);
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      fs.rmSync(workDir, { recursive: true, force: true });
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `ACI emulator: port ${port} on ${host} is already in use`
            : `ACI emulator: cannot listen on ${host}:${port} (${err.message})`,
        ),
      );
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  // "localhost" because the server certificate names it; 127.0.0.1 and ::1 are in it too.
  const endpoint = `https://localhost:${actualPort}`;
  log(`ACI emulator listening on ${endpoint} (work dir ${workDir})`);
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    caCertPem: certificate.caCertPem,
    caCertPath: certificate.caCertPath,
    port: actualPort,
    close: (closeOptions) =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await service.close(closeOptions);
        await stopped;
        fs.rmSync(workDir, { recursive: true, force: true });
      })()),
  };
}
