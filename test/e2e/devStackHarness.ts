import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import Long from 'long';
import type { DevStackOptions } from '../../devhost/dev/startDevStack';
import type { JobView } from '../../functions/status/jobStatus';

/**
 * Runs the dev stack (startDevStack) in a child process on free ports, so the tests drive it strictly from
 * outside (official Service Bus SDK + HTTP) and can stop or restart it like a developer would.
 */
export const repoRoot = join(__dirname, '..', '..');
export const e2eRoutesFile = join(repoRoot, 'test', 'fixtures', 'e2e', 'routes.json');
const entry = join(repoRoot, 'dist', 'devhost', 'dev', 'devStackProcess.js');

export interface RunningStack {
  /** The stack process (devStackProcess.js). */
  pid: number;
  connectionString: string;
  /** Azurite's connection string (job logs, event ledger). */
  storageConnectionString: string;
  httpBase: string;
  /** Everything the stack logged (stderr), for failure messages. */
  output(): string;
  /** SIGTERM: a clean Ctrl-C style stop. */
  stop(): Promise<void>;
  /** Resolves with the exit code when the stack process ends (by itself or by stop()). */
  exited: Promise<number | null>;
}

type StackOptions = Omit<DevStackOptions, 'log'>;

export async function launchDevStack(
  options: StackOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningStack> {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" before the e2e tests`);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      entry,
      JSON.stringify({
        httpPort: 0,
        serviceBusPort: 0,
        aciPort: 0,
        routesFile: e2eRoutesFile,
        imagePullTimeoutMs: 3000,
        ...options,
      }),
    ],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 2_000_000) stderr = stderr.slice(-1_000_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  type Ready = { serviceBusConnectionString: string; storageConnectionString: string; httpBase: string };
  const ready = await new Promise<Ready>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`dev stack not ready after 60 s:\n${stderr}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as Ready);
        } catch {
          reject(new Error(`unexpected output from the dev stack: ${line}`));
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dev stack exited with ${code}:\n${stderr}`));
    });
  });
  return {
    pid: child.pid ?? 0,
    connectionString: ready.serviceBusConnectionString,
    storageConnectionString: ready.storageConnectionString,
    httpBase: ready.httpBase,
    output: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One row of the status API: the API's own type. */
export type JobRow = JobView;

export async function getEventJobs(
  httpBase: string,
  eventId: string,
): Promise<{ status: number; jobs: JobRow[] }> {
  const response = await fetch(`${httpBase}/events/${encodeURIComponent(eventId)}`);
  if (response.status === 404) return { status: 404, jobs: [] };
  const body = (await response.json()) as { jobs: JobRow[] };
  return { status: response.status, jobs: body.jobs };
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until every route of the event has a final attempt (Succeeded or DeadLettered). */
export function waitForSettled(
  httpBase: string,
  eventId: string,
  routes: number,
  timeoutMs = 60_000,
): Promise<JobRow[]> {
  return eventually(
    `event ${eventId} to settle`,
    async () => {
      const { jobs } = await getEventJobs(httpBase, eventId);
      const final = jobs.filter(
        (j) => j.runtimeStatus === 'Completed' && (j.phase === 'Succeeded' || j.phase === 'DeadLettered'),
      );
      return final.length >= routes ? jobs : undefined;
    },
    timeoutMs,
  );
}

export function cloudEvent(
  type: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> & { id: string } {
  const id = `e2e-${type}-${Date.now()}-${Math.random().toString(16).slice(2, 10)}`;
  return {
    specversion: '1.0',
    id,
    source: 'urn:e2e:test',
    type,
    time: new Date().toISOString(),
    data: { expect: id },
    ...extra,
  };
}

export async function sendRaw(client: ServiceBusClient, body: string, messageId?: string): Promise<void> {
  const sender = client.createSender('dispatch');
  try {
    await sender.sendMessages({
      body: Buffer.from(body, 'utf8'),
      contentType: 'application/json',
      ...(messageId ? { messageId } : {}),
    });
  } finally {
    await sender.close();
  }
}

/**
 * Peeks from the first message. Without `fromSequenceNumber` the SDK continues after the last message this
 * connection peeked on the entity (its cursor is per connection), so repeated peeks would miss messages.
 */
export const fromStart = { fromSequenceNumber: Long.fromNumber(0) };

export async function peekDeadLetters(client: ServiceBusClient): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver('dispatch', { subQueueType: 'deadLetter' });
  try {
    return await receiver.peekMessages(500, fromStart);
  } finally {
    await receiver.close();
  }
}

/** The dispatcher's reason: its own property on a classic marked copy, the broker's on an SDK dead-letter. */
export function dispatchReason(message: ServiceBusReceivedMessage): { reason: string; description: string } {
  const props = message.applicationProperties ?? {};
  const reason = props['dispatch-dead-letter-reason'];
  const description = props['dispatch-dead-letter-description'];
  if (typeof reason === 'string')
    return { reason, description: typeof description === 'string' ? description : '' };
  return { reason: message.deadLetterReason ?? '', description: message.deadLetterErrorDescription ?? '' };
}

export function bodyText(message: ServiceBusReceivedMessage): string {
  const body: unknown = message.body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  return typeof body === 'string' ? body : JSON.stringify(body);
}

export async function waitForDeadLetter(
  client: ServiceBusClient,
  what: string,
  match: (message: ServiceBusReceivedMessage) => boolean,
  timeoutMs = 60_000,
): Promise<ServiceBusReceivedMessage> {
  return eventually(
    `a dead-lettered message for ${what}`,
    async () => (await peekDeadLetters(client)).find(match),
    timeoutMs,
    500,
  );
}

export interface SettledResult {
  eventId: string;
  route: string;
  attempt: number;
  outcome: string;
  reason?: string;
  /** For a requeue: when the next attempt's copy becomes visible. */
  nextAttemptAt?: string;
  /** The lifecycle CloudEvent's `time`: when the attempt settled. */
  time: string;
  /** What the job reported (its callback, else its output file). */
  output?: unknown;
  /** Routes with an output file that gave no output: why. */
  outputError?: string;
}

/** Lifecycle events on the results topic (peeked, so every test sees all of them). */
export async function peekResults(client: ServiceBusClient): Promise<SettledResult[]> {
  const receiver = client.createReceiver('results', 'observer');
  try {
    const messages = await receiver.peekMessages(1000, fromStart);
    return messages.map((m) => {
      const body = (Buffer.isBuffer(m.body) ? JSON.parse(m.body.toString('utf8')) : m.body) as {
        data: SettledResult;
        time: string;
      };
      return { ...body.data, time: body.time };
    });
  } finally {
    await receiver.close();
  }
}

/** A dead-lettered copy of the event (its MessageId is a keyed hash: recognised by the body's id). */
export function isCopyOf(message: ServiceBusReceivedMessage, eventId: string): boolean {
  // The SDK hands a JSON data section over parsed; bytes otherwise.
  let body: unknown = message.body;
  try {
    if (body instanceof Uint8Array) body = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return false;
  }
  return typeof body === 'object' && body !== null && (body as { id?: unknown }).id === eventId;
}
