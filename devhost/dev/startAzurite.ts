import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Azurite's well-known development account (published in the Azurite README and the Azure docs; it only
 * ever unlocks a local emulator).
 */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Blob port; 0 or undefined = a free port. */
  blobPort?: number;
  /** Table port; 0 or undefined = a free port. */
  tablePort?: number;
  /** Queue port; 0 or undefined = a free port (the app does not use queues; the Functions host convention does). */
  queuePort?: number;
  /**
   * Workspace (blobs, tables, their metadata) kept across restarts; undefined = in memory, gone at close. Ports
   * left free (0) are reused from the previous start on that workspace when still free, so blob URLs recorded
   * before a restart (job logs in the ledger) keep working.
   */
  stateDir?: string;
  /** Azurite's own output lines (debug). */
  log?: (line: string) => void;
  /** How long to wait for the three "listening" lines. Default 30 s. */
  startTimeoutMs?: number;
}

export interface RunningAzurite {
  /** Account-key connection string with the emulator's real endpoints (what `dispatcher dev` prints). */
  connectionString: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  blobEndpoint: string;
  tableEndpoint: string;
  queueEndpoint: string;
  /** The Azurite process (its own process group). */
  pid: number;
  /** Asks Azurite to shut down (flushing its workspace) and waits; SIGKILL to its group after 10 s. */
  close(): Promise<void>;
}

/**
 * Makes the child exit when its IPC channel closes, i.e. when the parent dies without closing it (killed,
 * crashed): Azurite itself would outlive its parent and keep the ports. Preloaded with `--import` so that
 * Azurite's own entry runs unchanged.
 */
const EXIT_WITH_PARENT = `data:text/javascript,${encodeURIComponent(
  "process.on('disconnect', () => process.exit(0));",
)}`;

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/;
const CLOSED = /Azurite (Blob|Queue|Table) service successfully closed/;

/** The `azurite` CLI entry of the installed package (npm `azurite`, a devDependency). */
function azuriteEntry(): string {
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
}

/**
 * Starts the official Azure Storage emulator (Azurite: Blob, Queue, Table) as a process of its own, telemetry
 * off, on the given or free ports. Why a process: Azurite is a separate server in real life too (and a big
 * one: keeping it out of the stack process keeps that event loop for the dispatcher). The process is in its
 * own group so that Ctrl-C in a terminal does not stop it before the stack has stopped using it; it exits
 * when this process goes away.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const portsFile = options.stateDir !== undefined ? join(resolve(options.stateDir), PORTS_FILE) : undefined;
  const previous = portsFile !== undefined ? readPorts(portsFile) : undefined;
  const wanted = {
    blob: options.blobPort || previous?.blob || 0,
    queue: options.queuePort || previous?.queue || 0,
    table: options.tablePort || previous?.table || 0,
  };
  let running: RunningAzurite;
  try {
    running = await startAzuriteOn(wanted, options);
  } catch (err) {
    // Taken meanwhile by something else: the ports were only remembered, not asked for.
    if (!previous || !/EADDRINUSE/.test(String(err))) throw err;
    running = await startAzuriteOn(
      { blob: options.blobPort ?? 0, queue: options.queuePort ?? 0, table: options.tablePort ?? 0 },
      options,
    );
  }
  if (portsFile !== undefined) {
    const port = (endpoint: string): number => Number(new URL(endpoint).port);
    const ports: AzuritePorts = {
      blob: port(running.blobEndpoint),
      queue: port(running.queueEndpoint),
      table: port(running.tableEndpoint),
    };
    writeFileSync(portsFile, `${JSON.stringify(ports)}\n`);
  }
  return running;
}

interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}

/** Where startAzurite remembers the ports of a workspace (beside Azurite's own files). */
const PORTS_FILE = 'dispatcher-ports.json';

function readPorts(file: string): AzuritePorts | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const ports = JSON.parse(readFileSync(file, 'utf8')) as Partial<AzuritePorts>;
    const valid = (n: unknown): n is number =>
      typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 65536;
    return valid(ports.blob) && valid(ports.queue) && valid(ports.table)
      ? { blob: ports.blob, queue: ports.queue, table: ports.table }
      : undefined;
  } catch {
    return undefined; // unreadable: start on free ports and write it anew
  }
}

async function startAzuriteOn(ports: AzuritePorts, options: AzuriteOptions): Promise<RunningAzurite> {
  const args = [
    '--blobPort',
    String(ports.blob),
    '--queuePort',
    String(ports.queue),
    '--tablePort',
    String(ports.table),
    '--disableTelemetry',
    // The SDKs in package.json may be newer than the emulator's list of API versions; the calls we make exist.
    '--skipApiVersionCheck',
    // One access-log line per request would cost the stack more than the requests.
    '--silent',
  ];
  if (options.stateDir !== undefined) {
    const location = resolve(options.stateDir);
    mkdirSync(location, { recursive: true });
    args.push('--location', location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child: ChildProcess = fork(azuriteEntry(), args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: ['--import', EXIT_WITH_PARENT],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('azurite: the process could not be started');
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };

  let output = '';
  const endpoints = new Map<string, string>();
  const closed = new Set<string>();
  let allClosed: (() => void) | undefined;
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(
        () =>
          fail(new Error(`azurite: not listening after ${options.startTimeoutMs ?? 30_000} ms:\n${output}`)),
        options.startTimeoutMs ?? 30_000,
      );
      const onLine = (line: string): void => {
        options.log?.(line);
        const match = LISTENING.exec(line);
        if (match?.[1] && match[2]) endpoints.set(match[1], match[2]);
        const closedMatch = CLOSED.exec(line);
        if (closedMatch?.[1]) closed.add(closedMatch[1]);
        if (closed.size === 3) allClosed?.();
        if (endpoints.size === 3) {
          clearTimeout(timer);
          ready();
        }
      };
      for (const stream of [child.stdout, child.stderr]) {
        let pending = '';
        stream?.on('data', (chunk: Buffer) => {
          output = (output + chunk.toString()).slice(-20_000);
          pending += chunk.toString();
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          lines.forEach((line) => onLine(line.trimEnd()));
        });
      }
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`azurite exited before it was ready (${signal ?? `exit code ${code}`}):\n${output}`));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        fail(err);
      });
    });
  } catch (err) {
    if (running()) killGroup('SIGKILL');
    await exited;
    throw err;
  }

  const endpoint = (service: string): string => `${endpoints.get(service)}/${AZURITE_ACCOUNT}`;
  const blobEndpoint = endpoint('Blob');
  const queueEndpoint = endpoint('Queue');
  const tableEndpoint = endpoint('Table');
  let closing: Promise<void> | undefined;
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    pid,
    close: () =>
      (closing ??= (async () => {
        if (!running()) return;
        const timer = setTimeout(() => killGroup('SIGKILL'), 10_000);
        if (child.connected) {
          // Azurite's own clean shutdown (it listens for this IPC message) flushes its workspace but leaves
          // the process running; closing the channel then ends it (EXIT_WITH_PARENT).
          const servicesClosed = new Promise<void>((done) => (allClosed = done));
          child.send('shutdown');
          await Promise.race([servicesClosed, exited]);
          if (child.connected) child.disconnect();
        } else {
          killGroup('SIGTERM');
        }
        await exited;
        clearTimeout(timer);
      })()),
  };
}
