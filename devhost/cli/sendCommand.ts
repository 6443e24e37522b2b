import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { ServiceBusClient } from '@azure/service-bus';
import { assertListening, localServiceBusEndpoint } from './stackNotRunning';

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
  const event = buildCloudEvent(options);
  const connectionString = options.connectionString ?? defaultDevConnectionString;
  const local = localServiceBusEndpoint(connectionString);
  if (local) await assertListening(local.host, local.port, 'Service Bus', '--connection');
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
  queue: string;
}

/** `dispatcher send`: one CloudEvent onto the dispatch queue. */
export function registerSendCommand(program: Command): void {
  program
    .command('send')
    .description('send one CloudEvent to the dispatch queue and print its id')
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
    .action(async (flags: SendFlags) => {
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
      const id = await sendEvent({
        type: flags.type,
        ...(flags.source !== undefined ? { source: flags.source } : {}),
        ...(flags.subject !== undefined ? { subject: flags.subject } : {}),
        ...(flags.id !== undefined ? { id: flags.id } : {}),
        ...(data !== undefined ? { data } : {}),
        ...(flags.connection !== undefined ? { connectionString: flags.connection } : {}),
        queue: flags.queue,
      });
      process.stdout.write(`${id}\n`);
    });
}
