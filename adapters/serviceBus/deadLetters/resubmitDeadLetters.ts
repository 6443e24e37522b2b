import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import type { DispatchSigner } from '../../../shared/signing/dispatchSigner';
import { buildResubmission, type ResubmitReport } from './buildResubmission';
import { processDeadLetters, type DeadLetterDecision } from './deadLetterQueue';
import { toDeadLetterView, type DeadLetterView } from './deadLetterView';

export interface ResubmitOptions {
  /** Resubmit at most this many (skipped ones do not count). */
  max: number;
  /** Continue at the next attempt of the same generation instead of starting a new generation. */
  keepAttempts: boolean;
  /** Which dead letters to act on; the others are left where they are. */
  select: (view: DeadLetterView) => boolean;
  /**
   * Stop scanning once this many were selected, whatever became of them (resubmitted, skipped or failed): a
   * resubmit of one dead letter by sequence number must not go on locking the rest of the queue.
   */
  stopAfterSelected?: number;
}

/**
 * Resubmits the selected dead letters of `queue` to the queue itself (`dispatcher dlq resubmit` and
 * `POST /api/deadletters/{sequenceNumber}/resubmit`). Send first, remove after: a crash in between leaves the
 * dead letter, and resubmitting it again sends the same MessageId, which duplicate detection drops. A dead
 * letter that cannot be resubmitted (not a CloudEvent, no signed marks to continue) is kept and reported
 * `skipped`; one whose send fails is kept and reported `failed`.
 */
export async function resubmitDeadLetters(
  client: ServiceBusClient,
  queue: string,
  signer: DispatchSigner,
  options: ResubmitOptions,
): Promise<ResubmitReport[]> {
  const reports: ResubmitReport[] = [];
  const sender = client.createSender(queue);
  try {
    let selected = 0;
    const done = (): boolean =>
      options.stopAfterSelected !== undefined && selected >= options.stopAfterSelected;
    const handle = async (message: ServiceBusReceivedMessage): Promise<DeadLetterDecision> => {
      const view = toDeadLetterView(message, signer);
      if (!options.select(view)) return 'keep';
      selected++;
      const base = { sequenceNumber: view.sequenceNumber, eventId: view.eventId, reason: view.reason };
      const built = buildResubmission(message, view, signer, options.keepAttempts);
      if (!built.ok) {
        reports.push({ ...base, action: 'skipped', note: built.note });
        return 'keep';
      }
      const report: ResubmitReport = {
        ...base,
        action: 'resubmitted',
        messageId: String(built.message.messageId),
        ...(built.marks.route !== undefined ? { route: built.marks.route } : {}),
        attempt: built.marks.attempt ?? 1,
        resubmission: built.marks.resubmission ?? 0,
      };
      reports.push(report);
      try {
        await sender.sendMessages(built.message);
      } catch (err) {
        report.action = 'failed';
        report.note = `send failed, dead letter kept: ${(err as Error).message}`;
        return 'keep';
      }
      return 'remove';
    };
    await processDeadLetters(client, queue, options.max, handle, done);
  } finally {
    await sender.close();
  }
  return reports;
}
