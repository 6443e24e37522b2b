import { DefaultAzureCredential } from '@azure/identity';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { Command, InvalidArgumentError, Option } from 'commander';
import { tryParseIsoDuration } from '../../shared/policy/isoDuration';
import { DispatchSigner } from '../../shared/signing/dispatchSigner';
import { peekDeadLetters, processDeadLetters } from '../../adapters/serviceBus/deadLetters/deadLetterQueue';
import {
  matchesFilter,
  toDeadLetterView,
  type DeadLetterFilter,
  type DeadLetterView,
} from '../../adapters/serviceBus/deadLetters/deadLetterView';
import { formatDeadLetterTable } from './dlq/deadLetterTable';
import {
  buildResubmission,
  type ResubmitReport,
} from '../../adapters/serviceBus/deadLetters/buildResubmission';
import { resubmitDeadLetters } from '../../adapters/serviceBus/deadLetters/resubmitDeadLetters';
import { loadSigningKeys, requireSigner, type SigningKeyFlags } from './dlq/signingKeySource';
import { defaultDevConnectionString } from './sendCommand';
import { assertListening, localServiceBusEndpoint } from './stackNotRunning';

interface DlqFlags extends SigningKeyFlags {
  queue: string;
  connection?: string;
  namespace?: string;
  reason?: string;
  route?: string;
  eventId?: string;
  since?: Date;
  json?: boolean;
  max: number;
  dryRun?: boolean;
  keepAttempts?: boolean;
  all?: boolean;
}

function sinceOption(text: string): Date {
  if (/^P/i.test(text)) {
    const duration = tryParseIsoDuration(text);
    if (!duration.ok) throw new InvalidArgumentError(duration.message);
    return new Date(Date.now() - duration.ms);
  }
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || !Number.isFinite(ms))
    throw new InvalidArgumentError('expected an ISO-8601 date-time or a duration such as PT1H');
  return new Date(ms);
}

function count(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

async function openClient(flags: DlqFlags): Promise<ServiceBusClient> {
  if (flags.connection !== undefined && flags.namespace !== undefined)
    throw new InvalidArgumentError('give either --connection or --namespace, not both');
  if (flags.namespace !== undefined)
    return new ServiceBusClient(flags.namespace, new DefaultAzureCredential());
  const connectionString = flags.connection ?? defaultDevConnectionString;
  // Against a closed local port the SDK only says ECONNREFUSED: say that the stack is not running instead.
  const local = localServiceBusEndpoint(connectionString);
  if (local) await assertListening(local.host, local.port, 'Service Bus', '--connection');
  return new ServiceBusClient(connectionString);
}

function filterOf(flags: DlqFlags): DeadLetterFilter {
  return {
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    ...(flags.route !== undefined ? { route: flags.route } : {}),
    ...(flags.eventId !== undefined ? { eventId: flags.eventId } : {}),
    ...(flags.since !== undefined ? { since: flags.since } : {}),
  };
}

/** The options every dlq command takes: where the queue is, which dead letters, how to print. */
function withCommonOptions(command: Command): Command {
  return command
    .option('--queue <name>', 'the queue whose dead letters to read', 'dispatch')
    .option(
      '--connection <connectionString>',
      'Service Bus connection string (default: the local dev emulator)',
    )
    .option(
      '--namespace <fqdn>',
      'Azure Service Bus namespace (<name>.servicebus.windows.net), with DefaultAzureCredential',
    )
    .option('--reason <reason>', 'only dead letters with this reason (e.g. JobFailed, NoRoute, Cancelled)')
    .option('--route <name>', 'only dead letters for this route')
    .option('--event-id <id>', 'only dead letters of this CloudEvent id')
    .option(
      '--since <when>',
      'only dead letters enqueued since (ISO-8601 date-time, or a duration such as PT1H)',
      sinceOption,
    )
    .option('--max <n>', 'look at (list) or act on (resubmit, purge) at most this many', count, 1000)
    .option('--json', 'machine-readable output');
}

function withSigningKeyOptions(command: Command): Command {
  return command
    .option(
      '--state <dir>',
      "the local stack's state dir (dispatcher dev --state DIR), which holds the app's signing key",
    )
    .option(
      '--key-vault <url>',
      "Azure: the Key Vault holding the app's signing key (read with DefaultAzureCredential)",
    )
    .addOption(
      new Option('--signing-key-secret <name>', 'Azure: the secret name of the signing key').default(
        'dispatch-signing-key',
      ),
    );
}

async function matchingViews(flags: DlqFlags): Promise<DeadLetterView[]> {
  const keys = await loadSigningKeys(flags);
  const signer = keys ? new DispatchSigner(keys) : undefined;
  const client = await openClient(flags);
  try {
    const messages = await peekDeadLetters(client, flags.queue, flags.max);
    return messages.map((m) => toDeadLetterView(m, signer)).filter((v) => matchesFilter(v, filterOf(flags)));
  } finally {
    await client.close();
  }
}

function print(flags: DlqFlags, value: unknown, lines: string[]): void {
  process.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : `${lines.join('\n')}\n`);
}

async function resubmit(flags: DlqFlags): Promise<ResubmitReport[]> {
  const signer = await requireSigner(flags);
  const filter = filterOf(flags);
  // --dry-run: what resubmitDeadLetters would do, from a peek (nothing locked, nothing sent).
  const report = (message: ServiceBusReceivedMessage): ResubmitReport | undefined => {
    const view = toDeadLetterView(message, signer);
    if (!matchesFilter(view, filter)) return undefined;
    const built = buildResubmission(message, view, signer, flags.keepAttempts === true);
    const base = { sequenceNumber: view.sequenceNumber, eventId: view.eventId, reason: view.reason };
    if (!built.ok) return { ...base, action: 'skipped', note: built.note };
    return {
      ...base,
      action: 'would resubmit',
      messageId: String(built.message.messageId),
      ...(built.marks.route !== undefined ? { route: built.marks.route } : {}),
      attempt: built.marks.attempt ?? 1,
      resubmission: built.marks.resubmission ?? 0,
    };
  };
  const client = await openClient(flags);
  try {
    if (flags.dryRun)
      return (await peekDeadLetters(client, flags.queue, flags.max))
        .map(report)
        .filter((r): r is ResubmitReport => r !== undefined);
    return await resubmitDeadLetters(client, flags.queue, signer, {
      max: flags.max,
      keepAttempts: flags.keepAttempts === true,
      select: (view) => matchesFilter(view, filter),
    });
  } finally {
    await client.close();
  }
}

async function purge(flags: DlqFlags): Promise<DeadLetterView[]> {
  const filter = filterOf(flags);
  if (Object.keys(filter).length === 0 && !flags.all)
    throw new InvalidArgumentError('purge without a filter removes every dead letter: give --all to mean it');
  const keys = await loadSigningKeys(flags);
  const signer = keys ? new DispatchSigner(keys) : undefined;
  if (flags.dryRun) return matchingViews(flags);
  const removed: DeadLetterView[] = [];
  const client = await openClient(flags);
  try {
    await processDeadLetters(client, flags.queue, flags.max, (message) => {
      const view = toDeadLetterView(message, signer);
      if (!matchesFilter(view, filter)) return Promise.resolve('keep');
      removed.push(view);
      return Promise.resolve('remove');
    });
  } finally {
    await client.close();
  }
  return removed;
}

function showLines(view: DeadLetterView): string[] {
  const lines = [
    `sequence number:     ${view.sequenceNumber}`,
    `event:               ${view.eventId ?? '(not a readable CloudEvent)'}${view.source ? ` from ${view.source}` : ''}${view.type ? ` (${view.type})` : ''}`,
    `reason:              ${view.reason}`,
    `route / attempt:     ${view.route ?? '-'} / ${view.attempt ?? '-'}${view.resubmission > 0 ? ` (resubmission ${view.resubmission})` : ''} [marks ${view.marks}]`,
    `enqueued:            ${view.enqueuedTime ?? '-'}`,
    `message id:          ${view.messageId ?? '-'}${view.originalMessageId ? ` (original: ${view.originalMessageId})` : ''}`,
    `correlation id:      ${view.correlationId ?? '-'}`,
    `subject:             ${view.subject ?? '-'}`,
    `content type:        ${view.contentType ?? '-'}`,
    `properties:          ${JSON.stringify(view.properties)}`,
    'description:',
    ...view.description.split('\n').map((line) => `  ${line}`),
  ];
  return lines;
}

/** `dispatcher dlq list|show|resubmit|purge`: the dispatch queue's dead letters, for an operator. */
export function registerDlqCommands(program: Command): void {
  const dlq = program
    .command('dlq')
    .description("read, resubmit and purge the dispatch queue's dead letters (offline stack or Azure)");

  withSigningKeyOptions(withCommonOptions(dlq.command('list')))
    .description('list dead letters (sequence number, time, reason, route, attempt, event id), oldest first')
    .action(async (flags: DlqFlags) => {
      const views = await matchingViews(flags);
      print(flags, views, views.length === 0 ? ['no dead letters match'] : formatDeadLetterTable(views));
    });

  withSigningKeyOptions(withCommonOptions(dlq.command('show')))
    .description('show dead letters in full: reason, description (with the log tail), ids and properties')
    .argument('[sequenceNumber]', 'the SEQ column of `dlq list` (or use the filters)')
    .action(async (sequenceNumber: string | undefined, flags: DlqFlags) => {
      const views = (await matchingViews(flags)).filter(
        (v) => sequenceNumber === undefined || v.sequenceNumber === sequenceNumber,
      );
      if (views.length === 0) {
        process.stderr.write('no dead letters match\n');
        process.exitCode = 4;
        return;
      }
      print(
        flags,
        views,
        views.flatMap((v, i) => [...(i > 0 ? [''] : []), ...showLines(v)]),
      );
    });

  withSigningKeyOptions(withCommonOptions(dlq.command('resubmit')))
    .description(
      'send matching dead letters to the queue again (fresh attempt count unless --keep-attempts), then remove them',
    )
    .option('--keep-attempts', 'continue the attempt count (the next attempt after the dead-lettered one)')
    .option('--dry-run', 'say what would be resubmitted, change nothing')
    .action(async (flags: DlqFlags) => {
      const reports = await resubmit(flags);
      print(
        flags,
        reports,
        reports.length === 0
          ? ['no dead letters match']
          : reports.map(
              (r) =>
                `${r.sequenceNumber}  ${r.eventId ?? '(not an event)'}  ${r.reason}: ${r.action}${r.messageId ? ` as ${r.messageId}` : ''}${r.route ? ` (route ${r.route}, attempt ${r.attempt}, resubmission ${r.resubmission})` : r.resubmission !== undefined ? ` (every matching route, resubmission ${r.resubmission})` : ''}${r.note ? `: ${r.note}` : ''}`,
            ),
      );
      if (reports.some((r) => r.action === 'failed')) process.exitCode = 1;
    });

  withSigningKeyOptions(withCommonOptions(dlq.command('purge')))
    .description('remove matching dead letters for good (needs a filter, or --all)')
    .option('--all', 'with no filter: remove every dead letter')
    .option('--dry-run', 'say what would be removed, change nothing')
    .action(async (flags: DlqFlags) => {
      const views = await purge(flags);
      const verb = flags.dryRun ? 'would remove' : 'removed';
      print(flags, { [flags.dryRun ? 'wouldRemove' : 'removed']: views }, [
        `${verb} ${views.length} dead letter(s)`,
        ...(views.length > 0 ? formatDeadLetterTable(views) : []),
      ]);
    });
}
