import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { ServiceBusClient } from '@azure/service-bus';
import { describeOutcome, exitCodeFor, followEvents, type FollowOptions } from './followEvents';
import { formatBurstSummary, sendBurst } from './sendBurst';
import { claimCheckData, MAX_INLINE_MESSAGE_BODY_BYTES } from './claimCheckData';
import { assertListening, localServiceBusEndpoint } from './stackNotRunning';
import { assertApiReachable } from './watchCommand';

/** The connection string of the emulator `dispatcher dev` starts by default (port 5672). */
export const defaultDevConnectionString =
  'Endpoint=sb://localhost:5672;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;';

export interface SendEventOptions {
  type: string;
  source?: string;
  subject?: string;
  id?: string;
  data?: unknown;
  connectionString?: string;
  queue?: string;
  /** Azurite / storage connection string: an event too big for a message goes by `dataref` (claim check). */
  blobConnectionString?: string;
}

/** Builds the CloudEvents 1.0 structured event the dispatcher expects. */
export function buildCloudEvent(
  options: Omit<SendEventOptions, 'connectionString' | 'queue'>,
): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: options.id ?? randomUUID(),
    source: options.source ?? 'urn:dispatcher:cli',
    type: options.type,
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    time: new Date().toISOString(),
    ...(options.data !== undefined ? { datacontenttype: 'application/json', data: options.data } : {}),
  };
}

/** Sends one CloudEvent to the dispatch queue; resolves to its id. The MessageId is the event id. */
export async function sendEvent(options: SendEventOptions): Promise<string> {
  const connectionString = options.connectionString ?? defaultDevConnectionString;
  const local = localServiceBusEndpoint(connectionString);
  if (local) await assertListening(local.host, local.port, 'Service Bus', '--connection');
  let event = buildCloudEvent(options);
  if (Buffer.byteLength(JSON.stringify(event), 'utf8') > MAX_INLINE_MESSAGE_BODY_BYTES) {
    if (options.blobConnectionString === undefined) {
      throw new InvalidArgumentError(
        `the event takes more than ${MAX_INLINE_MESSAGE_BODY_BYTES} bytes, too big for a Service Bus message: pass --blob <connection string> (the dev stack's "Blob:" line) to send its data by reference`,
      );
    }
    const reference = await claimCheckData(options.blobConnectionString, String(event.id), options.data);
    event = { ...event, ...reference };
    delete event.data;
  }
  const client = new ServiceBusClient(connectionString);
  try {
    const sender = client.createSender(options.queue ?? 'dispatch');
    await sender.sendMessages({
      body: Buffer.from(JSON.stringify(event), 'utf8'),
      contentType: 'application/cloudevents+json; charset=utf-8',
      messageId: String(event.id),
    });
    await sender.close();
  } finally {
    await client.close();
  }
  return String(event.id);
}

function parseData(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidArgumentError(`${where}: not valid JSON (${(err as Error).message})`);
  }
}

interface SendFlags {
  type: string;
  source?: string;
  subject?: string;
  id?: string;
  data?: string;
  dataFile?: string;
  connection?: string;
  blob?: string;
  queue: string;
  wait?: boolean;
  api: string;
  key?: string;
  interval: number;
  timeout?: number;
  count?: number;
  rate: number;
  json?: boolean;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** `dispatcher send`: one CloudEvent onto the dispatch queue. */
export function registerSendCommand(program: Command): void {
  program
    .command('send')
    .description(
      'send a CloudEvent to the dispatch queue and print its id; --wait follows it to its outcome (exit 0 succeeded, 2 dead-lettered or rejected, 3 timed out); --count N --rate R sends a burst and summarises it',
    )
    .requiredOption('--type <type>', 'CloudEvent type, e.g. demo.hello')
    .option('--source <source>', 'CloudEvent source', 'urn:dispatcher:cli')
    .option('--subject <subject>', 'CloudEvent subject')
    .option('--id <id>', 'CloudEvent id (default: a new UUID)')
    .option('--data <json>', 'CloudEvent data as JSON')
    .option('--data-file <file>', 'read CloudEvent data (JSON) from a file')
    .option(
      '--connection <connectionString>',
      'Service Bus connection string (default: the local dev emulator)',
    )
    .option('--queue <name>', 'queue to send to', 'dispatch')
    .option('--wait', 'wait until the event settles and print what happened')
    .option('--api <base>', 'status API base URL (for --wait and --count)', 'http://localhost:7071/api')
    .option('--key <functionKey>', 'function key for an app in Azure (x-functions-key)')
    .option('--interval <seconds>', 'status poll interval', positiveNumber, 1)
    .option('--timeout <seconds>', 'stop waiting after this long (exit 3)', positiveNumber)
    .option(
      '--count <n>',
      'send a burst of n events (new ids), then wait for them and summarise',
      positiveInteger,
    )
    .option('--rate <perSecond>', 'events per second for --count', positiveNumber, 10)
    .option('--json', 'print the outcome (or the burst summary) as JSON')
    .option(
      '--blob <connectionString>',
      'storage connection string for events too big for a message (the claim check; `dispatcher dev` prints it as "Blob:")',
    )
    .action(async (flags: SendFlags) => {
      if (flags.count !== undefined && flags.id !== undefined)
        throw new InvalidArgumentError('--id names one event: give either --id or --count');
      if (flags.data !== undefined && flags.dataFile !== undefined) {
        throw new InvalidArgumentError('give either --data or --data-file, not both');
      }
      let data: unknown;
      if (flags.data !== undefined) data = parseData(flags.data, '--data');
      if (flags.dataFile !== undefined) {
        let text: string;
        try {
          text = readFileSync(flags.dataFile, 'utf8');
        } catch (err) {
          throw new InvalidArgumentError(`--data-file ${flags.dataFile}: ${(err as Error).message}`);
        }
        data = parseData(text, `--data-file ${flags.dataFile}`);
      }
      const connectionString = flags.connection ?? defaultDevConnectionString;
      const follow: FollowOptions = {
        api: flags.api.replace(/\/+$/, ''),
        ...(flags.key !== undefined ? { key: flags.key } : {}),
        connectionString,
        queue: flags.queue,
        intervalMs: flags.interval * 1000,
        ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout * 1000 } : {}),
      };
      if (flags.wait || flags.count !== undefined) await assertApiReachable(follow.api);
      if (flags.count !== undefined) {
        const local = localServiceBusEndpoint(connectionString);
        if (local) await assertListening(local.host, local.port, 'Service Bus', '--connection');
        const summary = await sendBurst({
          count: flags.count,
          rate: flags.rate,
          event: {
            type: flags.type,
            ...(flags.source !== undefined ? { source: flags.source } : {}),
            ...(flags.subject !== undefined ? { subject: flags.subject } : {}),
            ...(data !== undefined ? { data } : {}),
          },
          follow,
          progress: process.stderr,
        });
        const { results, ...rest } = summary;
        process.stdout.write(flags.json ? `${JSON.stringify(rest)}\n` : `${formatBurstSummary(summary)}\n`);
        process.exitCode = exitCodeFor(results);
        return;
      }
      const id = await sendEvent({
        type: flags.type,
        ...(flags.source !== undefined ? { source: flags.source } : {}),
        ...(flags.subject !== undefined ? { subject: flags.subject } : {}),
        ...(flags.id !== undefined ? { id: flags.id } : {}),
        ...(data !== undefined ? { data } : {}),
        ...(flags.connection !== undefined ? { connectionString: flags.connection } : {}),
        ...(flags.blob !== undefined ? { blobConnectionString: flags.blob } : {}),
        queue: flags.queue,
      });
      process.stdout.write(`${id}\n`);
      if (!flags.wait) return;
      const [outcome] = await followEvents([id], follow);
      if (!outcome) return;
      process.stdout.write(
        flags.json ? `${JSON.stringify(outcome)}\n` : `${describeOutcome(outcome).join('\n')}\n`,
      );
      process.exitCode = exitCodeFor([outcome]);
    });
}
