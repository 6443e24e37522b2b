import { ServiceBusClient } from '@azure/service-bus';
import { followEvents, type EventOutcome, type FollowOptions } from './followEvents';
import { buildCloudEvent, type SendEventOptions } from './sendCommand';

export interface BurstOptions {
  count: number;
  /** Events per second. */
  rate: number;
  event: Omit<SendEventOptions, 'connectionString' | 'queue' | 'id'>;
  follow: FollowOptions;
  /** Where the progress bar goes (stderr); redrawn in place on a terminal, a line per 10 % otherwise. */
  progress: NodeJS.WriteStream;
}

export interface BurstSummary {
  sent: number;
  settled: number;
  outcomes: Record<string, number>;
  /** Send to settlement, ms. */
  p50Ms: number | null;
  p95Ms: number | null;
  results: EventOutcome[];
}

/** The p-th percentile (nearest rank) of ascending values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? null;
}

function progressBar(out: NodeJS.WriteStream, label: string, total: number): (done: number) => void {
  let lastDecile = -1;
  return (done) => {
    const fraction = total === 0 ? 1 : done / total;
    if (out.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      out.write(
        `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`,
      );
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile !== lastDecile) out.write(`${label} ${done}/${total}\n`);
      lastDecile = decile;
    }
  };
}

/** Sends `count` events at `rate` per second, then follows them until they settle; returns the summary. */
export async function sendBurst(options: BurstOptions): Promise<BurstSummary> {
  const sentAt = new Map<string, number>();
  const client = new ServiceBusClient(options.follow.connectionString);
  const showSent = progressBar(options.progress, 'sent   ', options.count);
  try {
    const sender = client.createSender(options.follow.queue);
    const started = Date.now();
    showSent(0);
    for (let i = 0; i < options.count; i++) {
      // Paced against the start, so a slow send is caught up rather than lost from the rate.
      const due = started + (i * 1000) / options.rate;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const event = buildCloudEvent(options.event);
      await sender.sendMessages({
        body: Buffer.from(JSON.stringify(event), 'utf8'),
        contentType: 'application/cloudevents+json; charset=utf-8',
        messageId: String(event.id),
      });
      sentAt.set(String(event.id), Date.now());
      showSent(i + 1);
    }
    await sender.close();
  } finally {
    await client.close();
  }
  const ids = [...sentAt.keys()];
  const showSettled = progressBar(options.progress, 'settled', ids.length);
  let settled = 0;
  showSettled(0);
  const results = await followEvents(ids, options.follow, () => showSettled(++settled));
  const outcomes: Record<string, number> = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const latencies = results
    .filter((r) => r.settledAt !== undefined)
    .map((r) => Math.max(0, (r.settledAt ?? 0) - (sentAt.get(r.eventId) ?? 0)))
    .sort((a, b) => a - b);
  return {
    sent: ids.length,
    settled: results.filter((r) => r.outcome !== 'TimedOut').length,
    outcomes,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    results,
  };
}

export function formatBurstSummary(summary: BurstSummary): string {
  const seconds = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`);
  const outcomes = Object.entries(summary.outcomes)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return `sent ${summary.sent}, settled ${summary.settled} (${outcomes}); send to settled p50 ${seconds(summary.p50Ms)}, p95 ${seconds(summary.p95Ms)}`;
}
