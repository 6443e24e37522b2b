import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { defaultAppRoot, startDevStack, type DevStackOptions } from './startDevStack';

export interface LoadTestOptions {
  /** Events to send; default 1000. */
  events?: number;
  /** Send rate; default: as fast as the broker takes batches. */
  ratePerSecond?: number;
  /** Persist state (measures the cost of --state); default in-memory. */
  persist?: boolean;
  /** Give up waiting for settlements after this long; default 10 min. */
  timeoutMs?: number;
  /**
   * Run the stack inside the load test's process (the old behaviour). Default false: the stack runs in a
   * process of its own (devStackProcess), so the load generator and results observer do not compete with it
   * for its event loop, and its CPU can be reported separately.
   */
  inProcess?: boolean;
  /** Node flags for the stack process, e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']` (not with inProcess). */
  stackNodeArgs?: string[];
  log?: (line: string) => void;
}

export interface LoadTestResult {
  events: number;
  /** From the first send to the last settlement. */
  seconds: number;
  /** Settled events per second over `seconds`. */
  perSecond: number;
  /** Send-to-settled latency percentiles, milliseconds. */
  p50: number;
  p95: number;
  p99: number;
  /** Events that never settled within the timeout. */
  lost: number;
  /** Events settled more than once (more than one final result). */
  duplicated: number;
  /** Events whose final result was DeadLettered (instant jobs should all succeed). */
  deadLettered: number;
  /**
   * CPU seconds of the stack process and everything it ran (ACI emulator process, job processes), start-up
   * included; only when the stack ran in its own process on Linux.
   */
  dispatcherCpuSeconds?: number;
  /** Peak RSS of the stack process (not its children); same conditions. */
  dispatcherPeakRssBytes?: number;
}

interface StackHandle {
  serviceBusConnectionString: string;
  close(): Promise<void>;
}

/** utime+stime of this process's waited-for children so far, in seconds (Linux /proc; undefined elsewhere). */
function childrenCpuSeconds(): number | undefined {
  try {
    // Fields after the parenthesised command name; cutime and cstime are fields 16 and 17 of the whole line.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[13]) + Number(fields[14]);
    // USER_HZ is 100 on every Linux Node supports.
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}

function peakRssBytes(pid: number | undefined): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The stack in a child process (devStackProcess.js next to this file); resolves once it printed its ready line. */
async function launchStackProcess(
  options: DevStackOptions,
  nodeArgs: string[],
  log: (line: string) => void,
): Promise<StackHandle & { child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, join(__dirname, 'devStackProcess.js'), JSON.stringify(options)],
    // stdout carries the app's log lines (3 per event): a pipe the busy load generator drains late makes
    // the stack's synchronous writes block, which showed up as seconds of the stack's CPU profile.
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderrTail = '';
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-20_000);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    // The stack logs every settlement; only problems are worth showing here.
    for (const line of lines) if (/\b(error|critical|fail)/i.test(line) && !/Succeeded/.test(line)) log(line);
  });
  const ready = await new Promise<{ serviceBusConnectionString: string }>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`the dev stack process exited (${code}) before it was ready:\n${stderrTail}`)),
    );
    child.once('message', (message: { serviceBusConnectionString?: unknown }) => {
      if (typeof message.serviceBusConnectionString === 'string')
        resolve({ serviceBusConnectionString: message.serviceBusConnectionString });
      else reject(new Error(`unexpected message from the dev stack process: ${JSON.stringify(message)}`));
    });
  }).catch(async (err: unknown) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    throw err;
  });
  return {
    child,
    serviceBusConnectionString: ready.serviceBusConnectionString,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * 1,000 (by default) instant-job events through the whole dev stack: Service Bus emulator -> trigger ->
 * one orchestration each -> ACI emulator job -> settlement. Settlements are counted from the results topic
 * (`dispatcher.job.settled`), so nothing inside the app is instrumented.
 */
export async function runLoadTest(options: LoadTestOptions = {}): Promise<LoadTestResult> {
  const total = options.events ?? 1000;
  const log = options.log ?? (() => undefined);
  const appRoot = defaultAppRoot();
  const stateDir = options.persist ? mkdtempSync(join(tmpdir(), 'dispatcher-load-')) : undefined;
  let stack: StackHandle | undefined;
  let child: ChildProcess | undefined;
  let client: ServiceBusClient | undefined;
  let peakRss: number | undefined;
  const cpuBefore = childrenCpuSeconds();
  try {
    const stackOptions: DevStackOptions = {
      appRoot,
      httpPort: 0,
      serviceBusPort: 0,
      aciPort: 0,
      routesFile: join(appRoot, 'devhost', 'config', 'loadTest.routes.json'),
      ...(stateDir ? { stateDir } : {}),
      // This measures the stack's own throughput: ACI's default quotas (100 groups, 100 creates per 5 minutes)
      // would make it measure ARM's throttling instead.
      aciQuota: { containerGroups: 1e6, cores: 1e6, createsPer5Min: 1e6, createsPerHour: 1e6 },
      // For the same reason admission is off (its limits would be ACI's defaults); what admission costs per job
      // is measured by the admission section of the benchmarks.
      settings: { DISPATCH_ADMISSION: 'off' },
    };
    if (options.inProcess) {
      stack = await startDevStack({
        ...stackOptions,
        log: (record) => {
          if (record.level === 'error' || record.level === 'critical')
            log(`[${record.functionName ?? 'host'}] ${record.message.split('\n')[0]}`);
        },
      });
    } else {
      const launched = await launchStackProcess(
        { ...stackOptions, logLevel: 'warning' },
        options.stackNodeArgs ?? [],
        log,
      );
      stack = launched;
      child = launched.child;
    }
    client = new ServiceBusClient(stack.serviceBusConnectionString);
    const sentAt = new Map<string, number>();
    const settledAt = new Map<string, number>();
    let duplicated = 0;
    let deadLettered = 0;
    const results = client.createReceiver('results', 'observer', { receiveMode: 'receiveAndDelete' });
    const done = new Promise<void>((resolve) => {
      const subscription = results.subscribe(
        {
          processMessage: (message: ServiceBusReceivedMessage) => {
            const raw: unknown = message.body;
            const body = (Buffer.isBuffer(raw) ? JSON.parse(raw.toString('utf8')) : raw) as {
              data?: { eventId?: string; outcome?: string };
            };
            const eventId = body.data?.eventId;
            if (eventId && sentAt.has(eventId) && body.data?.outcome !== 'Requeued') {
              if (settledAt.has(eventId)) duplicated++;
              else {
                settledAt.set(eventId, Date.now());
                if (body.data?.outcome === 'DeadLettered') deadLettered++;
              }
              if (settledAt.size === total) {
                void subscription.close();
                resolve();
              }
            }
            return Promise.resolve();
          },
          processError: () => Promise.resolve(),
        },
        { maxConcurrentCalls: 16 },
      );
    });

    const sender = client.createSender('dispatch');
    const started = Date.now();
    const batchSize = options.ratePerSecond
      ? Math.max(1, Math.min(100, Math.ceil(options.ratePerSecond / 10)))
      : 100;
    for (let i = 0; i < total; i += batchSize) {
      const batch = [];
      for (let j = i; j < Math.min(total, i + batchSize); j++) {
        const id = `load-${started}-${j}`;
        batch.push({
          body: Buffer.from(
            JSON.stringify({
              specversion: '1.0',
              id,
              source: 'urn:dispatcher:load',
              type: 'load.instant',
              data: { n: j },
            }),
          ),
          messageId: id,
          contentType: 'application/cloudevents+json',
        });
      }
      const now = Date.now();
      for (const m of batch) sentAt.set(m.messageId, now);
      await sender.sendMessages(batch);
      if (options.ratePerSecond) {
        const due = started + ((i + batch.length) / options.ratePerSecond) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      log(`sent ${Math.min(total, i + batchSize)}/${total}`);
    }
    await sender.close();

    const timeoutMs = options.timeoutMs ?? 600_000;
    let timer: NodeJS.Timeout | undefined;
    const progress = setInterval(() => log(`settled ${settledAt.size}/${total}`), 5000);
    await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearInterval(progress);
    if (timer) clearTimeout(timer);
    // A duplicate settlement would arrive shortly after the first: give it a moment to show up.
    await new Promise((r) => setTimeout(r, 2000));
    await results.close();

    peakRss = child ? peakRssBytes(child.pid) : undefined;
    await client.close();
    await stack.close();
    const cpuAfter = child ? childrenCpuSeconds() : undefined;

    const latencies = [...settledAt].map(([id, at]) => at - (sentAt.get(id) ?? at)).sort((a, b) => a - b);
    const last = Math.max(started, ...settledAt.values());
    const seconds = (last - started) / 1000;
    return {
      events: total,
      seconds: Math.round(seconds * 10) / 10,
      perSecond: Math.round((settledAt.size / Math.max(seconds, 0.001)) * 10) / 10,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      lost: total - settledAt.size,
      duplicated,
      deadLettered,
      ...(cpuBefore !== undefined && cpuAfter !== undefined
        ? { dispatcherCpuSeconds: Math.round((cpuAfter - cpuBefore) * 100) / 100 }
        : {}),
      ...(peakRss !== undefined ? { dispatcherPeakRssBytes: peakRss } : {}),
    };
  } finally {
    await client?.close();
    await stack?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  // The app's own console output goes to stderr; stdout carries only the result line.
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr);
  // node loadTest.js [events] [ratePerSecond] [--in-process] [--stack-cpu-prof=<dir>]
  const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
  const [eventsArg, rateArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const events = Number(eventsArg ?? 1000);
  const rate = rateArg ? Number(rateArg) : undefined;
  if (!Number.isInteger(events) || events <= 0 || (rate !== undefined && !(rate > 0))) {
    process.stderr.write(
      `usage: loadTest.js [events] [ratePerSecond] [--in-process] [--stack-cpu-prof=<dir>] (got ${process.argv.slice(2).join(' ')})\n`,
    );
    process.exit(2);
  }
  const profDir = flags.find((f) => f.startsWith('--stack-cpu-prof='))?.slice('--stack-cpu-prof='.length);
  runLoadTest({
    events,
    ...(rate ? { ratePerSecond: rate } : {}),
    inProcess: flags.includes('--in-process'),
    ...(profDir ? { stackNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (result) => {
      stdoutWrite(`${JSON.stringify(result)}\n`);
      process.exit(result.lost === 0 && result.duplicated === 0 ? 0 : 1);
    },
    (err: unknown) => {
      process.stderr.write(
        `load test failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
