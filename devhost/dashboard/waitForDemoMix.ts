import type { JobView } from '../../functions/status/jobStatus';
import type { DemoMix } from './sendDemoMix';

async function jobsOf(httpBase: string, eventId: string): Promise<JobView[]> {
  const response = await fetch(`${httpBase}/events/${encodeURIComponent(eventId)}`);
  return response.ok ? ((await response.json()) as { jobs: JobView[] }).jobs : [];
}

/** Resolves when the mix shows every outcome: succeeded, dead-lettered (both attempts), running, requeued, and
 * four dead letters (two invoices, the unroutable event, the invalid body). */
export async function waitForDemoMix(httpBase: string, mix: DemoMix, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const checks: Array<[string, () => Promise<boolean>]> = [
    ...mix.succeeded.map((id): [string, () => Promise<boolean>] => [
      `${id} succeeded`,
      async () => (await jobsOf(httpBase, id)).some((j) => j.phase === 'Succeeded'),
    ]),
    ...mix.deadLettered.map((id): [string, () => Promise<boolean>] => [
      `${id} dead-lettered`,
      async () => (await jobsOf(httpBase, id)).some((j) => j.phase === 'DeadLettered'),
    ]),
    ...mix.running.map((id): [string, () => Promise<boolean>] => [
      `${id} running`,
      async () => (await jobsOf(httpBase, id)).some((j) => j.phase === 'Watching'),
    ]),
    ...mix.requeued.map((id): [string, () => Promise<boolean>] => [
      `${id} requeued`,
      async () => (await jobsOf(httpBase, id)).some((j) => j.phase === 'Requeued'),
    ]),
    [
      'four dead letters',
      async () => {
        const response = await fetch(`${httpBase}/deadletters`);
        return response.ok && ((await response.json()) as { entries: unknown[] }).entries.length >= 4;
      },
    ],
  ];
  for (const [what, check] of checks) {
    for (;;) {
      if (await check().catch(() => false)) break;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
