import type { ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';
import type { DispatchMarks, DispatchSigner } from '../../../shared/signing/dispatchSigner';
import { bodyIdentity, type DeadLetterView } from './deadLetterView';

/** What `dlq resubmit` does (or would do, with --dry-run) with one dead letter. */
export interface ResubmitReport {
  sequenceNumber: string;
  eventId: string | null;
  reason: string;
  action: 'resubmitted' | 'would resubmit' | 'skipped' | 'failed';
  /** The resubmitted message's MessageId: the same for the same dead letter and generation (no double sends). */
  messageId?: string;
  route?: string;
  attempt?: number;
  resubmission?: number;
  note?: string;
}

export type Resubmission =
  { ok: true; message: ServiceBusMessage; marks: DispatchMarks } | { ok: false; note: string };

/**
 * The message that resubmits a dead letter: its body, content type, correlation id, subject and the producer's
 * own properties unchanged, plus signed marks. By default a new resubmission generation (`dispatch-resubmission`
 * = previous + 1), which starts the event again at attempt 1 for the route the dead letter was for (or every
 * matching route when it had none, e.g. NoRoute); with `keepAttempts`, the same generation at the next attempt.
 * Only marks that verified with the app's key are carried over. The MessageId is keyed on the event and the
 * new marks, so running the same resubmit twice (e.g. after a crash between send and removal) sends a copy
 * duplicate detection drops.
 */
export function buildResubmission(
  received: ServiceBusReceivedMessage,
  view: DeadLetterView,
  signer: DispatchSigner,
  keepAttempts: boolean,
): Resubmission {
  const identity = bodyIdentity(received.body);
  if (!identity)
    return {
      ok: false,
      note: 'not a readable CloudEvent: fix the message and send it again with `dispatcher send` (or your producer)',
    };
  const reading = signer.read(identity, received.applicationProperties ?? {});
  const signed = reading.kind === 'signed' ? reading.marks : {};
  const generation = signed.resubmission ?? 0;
  let marks: DispatchMarks;
  if (keepAttempts) {
    if (signed.route === undefined)
      return {
        ok: false,
        note: `no signed route and attempt to continue (${reading.kind === 'untrusted' ? reading.reason : 'it never ran'}): resubmit without --keep-attempts`,
      };
    marks = {
      route: signed.route,
      attempt: (signed.attempt ?? 1) + 1,
      ...(generation > 0 ? { resubmission: generation } : {}),
    };
  } else {
    marks = { ...(signed.route !== undefined ? { route: signed.route } : {}), resubmission: generation + 1 };
  }
  const properties: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(view.properties))
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      properties[name] = value;
  const message: ServiceBusMessage = {
    // The body exactly as the dead letter holds it (bytes for what the dispatcher and `send` write).
    body: received.body as unknown,
    messageId: signer.messageId('resubmit', identity, [
      marks.resubmission ?? 0,
      marks.route ?? '',
      marks.attempt ?? 1,
    ]),
    applicationProperties: { ...properties, ...signer.properties(identity, marks) },
    ...(received.contentType !== undefined ? { contentType: received.contentType } : {}),
    ...(received.correlationId !== undefined ? { correlationId: received.correlationId } : {}),
    ...(received.subject !== undefined ? { subject: received.subject } : {}),
  };
  return { ok: true, message, marks };
}
