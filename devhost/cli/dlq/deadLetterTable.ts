import type { DeadLetterView } from '../../../adapters/serviceBus/deadLetters/deadLetterView';

function pad(value: string, width: number): string {
  return value.length >= width ? value : value + ' '.repeat(width - value.length);
}

/** SEQ ENQUEUED REASON ROUTE ATTEMPT EVENT, one line per dead letter. */
export function formatDeadLetterTable(views: readonly DeadLetterView[]): string[] {
  const header = ['SEQ', 'ENQUEUED', 'REASON', 'ROUTE', 'ATTEMPT', 'EVENT'];
  const rows = views.map((v) => [
    v.sequenceNumber,
    v.enqueuedTime?.slice(0, 19) ?? '-',
    v.reason,
    v.route ?? '-',
    v.attempt === null ? '-' : `${v.attempt}${v.resubmission > 0 ? ` (r${v.resubmission})` : ''}`,
    v.eventId ?? '(not an event)',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((cells) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0))).join('  '),
  );
}
