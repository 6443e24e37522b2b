import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { LogLevel } from '@azure/functions';
import { validateAciQuota, type AciQuota } from '../aci/aciQuota';
import type { FaultRates } from '../aci/faultRates';
import { parseImagesMap } from '../aci/loadImagesMap';
import { jobOutputRecord } from './jobOutputLine';
import { startAciEmulator, type RunningAciEmulator } from '../aci/startAciEmulator';
import { trustEmulatorCertificate } from '../aci/trustEmulatorCertificate';
import { DurableEngine } from '../durable/durableEngine';
import type { AppSettings } from '../functionsHost/appSettings';
import { consoleLogSink, formatLogArgs, type HostLogSink } from '../functionsHost/hostLog';
import { createDurableHostBinding } from '../functionsHost/durableHostBinding';
import { startFunctionsHost } from '../functionsHost/startFunctionsHost';
import {
  startServiceBusEmulator,
  type RunningServiceBusEmulator,
} from '../servicebus/startServiceBusEmulator';
import { devSigningKey } from './devSigningKey';
import { freePort } from './freePort';
import { startAzurite } from './startAzurite';
import { superviseEmulator, type SupervisionEvents } from './superviseEmulator';
import {
  emulatorProcessAvailable,
  startAciEmulatorProcess,
  startServiceBusEmulatorProcess,
} from './startEmulatorProcess';

export interface DevStackOptions {
  /** The app root (package.json, host.json, dist/); default: the repository this file was built from. */
  appRoot?: string;
  /** Routes file (DISPATCH_ROUTES_FILE); default `<appRoot>/routes.json`. Relative paths are from the cwd. */
  routesFile?: string;
  /** HTTP port of the Functions host; default 7071, 0 = free port. */
  httpPort?: number;
  /** Service Bus emulator AMQP port; default 5672, 0 = free port. */
  serviceBusPort?: number;
  /** ACI emulator HTTPS port; default 0 (free port). */
  aciPort?: number;
  /** Azurite Blob / Table ports; default 0 (free ports). */
  blobPort?: number;
  tablePort?: number;
  /** When set, the Durable engine and both emulators persist there and a restart resumes in-flight work. */
  stateDir?: string;
  /** Service Bus emulator Config.json; default devhost/config/servicebus.Config.json. */
  serviceBusConfig?: string;
  /** ACI images map; default devhost/config/images.json. */
  imagesFile?: string;
  /** Extra / overriding app settings (e.g. DISPATCH_SETTLEMENT_MODE=sdk). */
  settings?: AppSettings;
  /** How long an image that cannot be pulled stays Creating before its deployment fails (ACI emulator). */
  imagePullTimeoutMs?: number;
  /** ACI emulator quota per (subscription, region) (`--aci-quota`); unset limits keep ACI's defaults. */
  aciQuota?: Partial<AciQuota>;
  /** ACI emulator faults at a rate (`--aci-faults`). */
  aciFaults?: FaultRates;
  /**
   * Run both emulators inside this process (as before) instead of each in a child process of its own.
   * Default false: under load the stack process's event loop is the bottleneck, and spawning containers from
   * the big stack process was its largest single cost (see startEmulatorProcess). Always true when running
   * from the .ts sources (ts-jest), where there is no built emulator process entry.
   */
  emulatorsInProcess?: boolean;
  log?: HostLogSink;
  logLevel?: LogLevel;
}

export interface DevStack {
  serviceBusConnectionString: string;
  /** Azurite (Blob and Table endpoints): the app's DispatchStorage connection. */
  storageConnectionString: string;
  /** `http://localhost:<port>/api` */
  httpBase: string;
  armEndpoint: string;
  settings: AppSettings;
  /**
   * Resolves (never rejects) when the stack cannot go on: an emulator process died and was not restarted
   * (no state dir, a crash loop, or its restart failed). The owner should close the stack and exit non-zero.
   */
  failed: Promise<Error>;
  /** Stops the host first (so no message is taken mid-shutdown), then the engine and both emulators. */
  close(): Promise<void>;
}

function withDeadline(work: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms; moving on`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The repository root: this file is devhost/dev/startDevStack.(ts|js), under dist/ once built. */
export function defaultAppRoot(): string {
  const up = resolve(__dirname, '..', '..');
  return basename(up) === 'dist' ? dirname(up) : up;
}

/**
 * The app runs in this process, so its ARM client must trust the emulator's CA. Falls back to patching the
 * real `tls` module object when the helper cannot (a compiled `import * as tls` namespace is read-only).
 */
function trustEmulatorCertificateInProcess(caPem: string, log: HostLogSink): void {
  try {
    trustEmulatorCertificate(caPem);
    return;
  } catch (err) {
    log({
      level: 'debug',
      message: `trustEmulatorCertificate: ${(err as Error).message}; patching tls directly`,
    });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tlsModule = require('node:tls') as typeof import('node:tls');
  const original = tlsModule.createSecureContext;
  const bundle = [...tlsModule.rootCertificates, caPem];
  tlsModule.createSecureContext = (options) =>
    options && (options.ca !== undefined || options.pfx !== undefined)
      ? original(options)
      : original({ ...options, ca: bundle });
}

/** Loads the images map, resolving relative script paths against the app root and `node` to this Node. */
export function loadDevImages(file: string, appRoot: string): Record<string, string[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`images file ${file}: ${(err as Error).message}`);
  }
  const images = parseImagesMap(raw, `images file ${file}`);
  const out: Record<string, string[]> = {};
  for (const [image, argv] of images) {
    out[image] = argv.map((part, i) => {
      if (i === 0 && part === 'node') return process.execPath;
      if (!isAbsolute(part) && /[\\/]/.test(part) && !part.startsWith('-') && existsSync(join(appRoot, part)))
        return join(appRoot, part);
      return part;
    });
  }
  return out;
}

/**
 * The whole dispatcher on one machine: Service Bus emulator, ACI emulator, Durable engine (real clock) and the
 * local Functions host running the BUILT app with settings pointing at them.
 */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const appRoot = resolve(options.appRoot ?? defaultAppRoot());
  const log = options.log ?? consoleLogSink(options.logLevel ?? 'information');
  const configDir = join(appRoot, 'devhost', 'config');
  const stateDir = options.stateDir ? resolve(options.stateDir) : undefined;
  if (stateDir) mkdirSync(stateDir, { recursive: true });
  const routesFile = resolve(options.routesFile ?? join(appRoot, 'routes.json'));
  if (!existsSync(routesFile))
    throw new Error(`routes file ${routesFile} does not exist (pass --routes <file>)`);

  const emulatorsInProcess = options.emulatorsInProcess ?? !emulatorProcessAvailable();
  const closers: Array<() => Promise<void>> = [];
  let brokenBy: Error | undefined;
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      try {
        // After an emulator died for good, a piece may wait on it (a receiver closing its link to a dead broker
        // waits for the SDK's operation timeout, ~30 s): bound each step, the stack is going away anyway.
        await (brokenBy ? withDeadline(close(), 5000, 'a shutdown step') : close());
      } catch (err) {
        log({ level: 'warning', message: `shutdown: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  };
  let resolveFailed: (error: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => (resolveFailed = resolve));
  const reportFailure = (error: Error): void => {
    brokenBy ??= error;
    resolveFailed(error);
  };
  // Each emulator process is supervised: restarted with its state when there is one, else the stack fails.
  const supervision = <T>(): SupervisionEvents<T> => ({
    warn: (message) => log({ level: 'warning', message: `[dev] ${message}` }),
    restarted: () => undefined,
    // The owner (dispatcher dev, devStackProcess) prints it and stops the stack.
    fatal: reportFailure,
  });
  const policy = { restart: stateDir !== undefined };
  try {
    const serviceBusOptions = {
      config: options.serviceBusConfig ?? join(configDir, 'servicebus.Config.json'),
      stateDir: stateDir ? join(stateDir, 'servicebus') : undefined,
      log: (line: string) => log({ level: 'debug', message: `[servicebus] ${line}` }),
    };
    const serviceBus = await superviseEmulator<RunningServiceBusEmulator>(
      'Service Bus emulator',
      options.serviceBusPort ?? 5672,
      (port, onUnexpectedExit) =>
        emulatorsInProcess
          ? startServiceBusEmulator({ ...serviceBusOptions, port })
          : startServiceBusEmulatorProcess({ ...serviceBusOptions, port, onUnexpectedExit }),
      policy,
      supervision(),
    );
    closers.push(() => serviceBus.close());

    const aciOptions = {
      images: loadDevImages(options.imagesFile ?? join(configDir, 'images.json'), appRoot),
      ...(stateDir ? { stateDir: join(stateDir, 'aci') } : {}),
      ...(options.imagePullTimeoutMs !== undefined ? { imagePullTimeoutMs: options.imagePullTimeoutMs } : {}),
      ...(options.aciQuota ? { quota: options.aciQuota } : {}),
      ...(options.aciFaults ? { faults: options.aciFaults } : {}),
      // A job's own output is the developer's business (info, prefixed by its route and attempt); the
      // emulator's bookkeeping stays at debug.
      log: (line: string) => log(jobOutputRecord(line) ?? { level: 'debug', message: `[aci] ${line}` }),
    };
    const aci = await superviseEmulator<RunningAciEmulator>(
      'ACI emulator',
      options.aciPort ?? 0,
      (port, onUnexpectedExit) =>
        emulatorsInProcess
          ? startAciEmulator({ ...aciOptions, port })
          : startAciEmulatorProcess({ ...aciOptions, port, onUnexpectedExit }),
      policy,
      {
        ...supervision(),
        // A concurrent stack may have renewed the cached CA meanwhile: trust the one the new process serves.
        restarted: (emulator) => trustEmulatorCertificateInProcess(emulator.caCertPem, log),
      },
    );
    closers.push(() => aci.close());
    trustEmulatorCertificateInProcess(aci.current().caCertPem, log);

    const azurite = await startAzurite({
      blobPort: options.blobPort ?? 0,
      tablePort: options.tablePort ?? 0,
      ...(stateDir ? { stateDir: join(stateDir, 'azurite') } : {}),
      log: (line) => log({ level: 'debug', message: `[azurite] ${line}` }),
    });
    closers.push(() => azurite.close());

    // Known before the host listens: the Durable webhook URLs carry it.
    const httpPort = options.httpPort === 0 ? await freePort() : (options.httpPort ?? 7071);
    const origin = `http://localhost:${httpPort}`;
    const settings: AppSettings = {
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsStorage: azurite.connectionString,
      DispatchStorage: azurite.connectionString,
      DURABLE_TASK_HUB: 'dispatcherlocal',
      ServiceBusConnection: serviceBus.current().connectionString,
      DISPATCH_QUEUE_NAME: 'dispatch',
      DISPATCH_ROUTES_FILE: routesFile,
      DISPATCH_SETTLEMENT_MODE: 'classic',
      DISPATCH_RESULTS_TOPIC: 'results',
      DISPATCH_DEFAULT_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
      DISPATCH_DEFAULT_RESOURCE_GROUP: 'dispatcher-jobs',
      DISPATCH_DEFAULT_LOCATION: 'westeurope',
      DISPATCH_SIGNING_KEY: devSigningKey(stateDir),
      ARM_ENDPOINT: aci.current().endpoint,
      ARM_CREDENTIAL: 'emulator',
      // Core Tools sets it; durable-functions otherwise rewrites webhook URLs to localhost:7071.
      WEBSITE_HOSTNAME: `localhost:${httpPort}`,
      // Admission paces creates by the subscription's quota: with a quota given to the emulator, the app is told
      // the same figures (as an operator sets them in Azure), or it would hold creates to ACI's defaults.
      ...(options.aciQuota ? { DISPATCH_ADMISSION_DEFAULT_LIMITS: quotaSetting(options.aciQuota) } : {}),
      ...(options.settings ?? {}),
    };

    const engine = new DurableEngine({
      ...(stateDir ? { stateDir: join(stateDir, 'durable') } : {}),
      hostJsonPath: join(appRoot, 'host.json'),
      appSettings: settings,
      webhookOrigin: origin,
      logHandler: (level, ...args) => log({ level, message: `[durable] ${formatLogArgs(args)}` }),
    });
    closers.push(() => engine.stop());

    const host = await startFunctionsHost({
      appRoot,
      settings,
      httpPort,
      log,
      durable: createDurableHostBinding(engine),
    });
    closers.push(() => host.close());

    let closed: Promise<void> | undefined;
    return {
      serviceBusConnectionString: serviceBus.current().connectionString,
      storageConnectionString: azurite.connectionString,
      httpBase: host.httpBaseUrl,
      armEndpoint: aci.current().endpoint,
      settings,
      failed,
      close: () => (closed ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * `--aci-quota` as DISPATCH_ADMISSION_DEFAULT_LIMITS text (every figure, ACI's defaults for those not given; the
 * setting takes 1 at least, and a zero quota refuses that one create anyway).
 */
function quotaSetting(quota: Partial<AciQuota>): string {
  const full = validateAciQuota(quota, '--aci-quota');
  return (Object.entries(full) as [string, number][])
    .map(([name, limit]) => `${name}=${String(Math.max(1, limit))}`)
    .join(',');
}
