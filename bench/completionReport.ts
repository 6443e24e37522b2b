import { markdownTable, metMark } from './markdownTable';
import { END_PHASE_MS, type CompletionRun } from './completion';
import { formatDuration } from './costPerJob';
import type { LiveCallbackResult } from './liveCallback';

const LABEL = {
  poll: 'dispatchJob, poll route (PT5S -> PT1M)',
  callback: 'dispatchJob, callback route (fallback PT10M)',
  competent: 'competent monitor (30 s, continueAsNew every poll)',
  naive: 'naive monitor (10 s, one execution)',
} as const;

/** The polling-vs-callback section of bench/results.md. */
export function renderCompletionSection(runs: CompletionRun[], live?: LiveCallbackResult | string): string {
  const rows = runs.map((r) => [
    formatDuration(r.jobMs),
    LABEL[r.monitor],
    String(r.episodes) + (r.extrapolatedFromMs !== undefined ? '*' : ''),
    String(r.activityCalls),
    String(r.executions),
    String(r.largestHistory),
    r.detectionDelayMs === undefined ? '-' : `${r.detectionDelayMs / 1000} s`,
  ]);
  const day = runs.filter((r) => r.jobMs === Math.max(...runs.map((x) => x.jobMs)));
  const polled = day.find((r) => r.monitor === 'poll')?.episodes;
  const called = day.find((r) => r.monitor === 'callback')?.episodes;
  const ratio = polled && called !== undefined ? called / polled : undefined;
  return [
    '## Completion: polling vs callback',
    '',
    `Virtual clock; each job runs its length + ${END_PHASE_MS / 1000} s, so its end does not fall on a whole-minute poll. ` +
      'Detection = job end -> first status read that saw it ended (virtual time; the callback is raised at the instant ' +
      'the job ends). `*` = naive run capped at its wall budget, counts scaled to the whole job.',
    '',
    markdownTable(
      ['job', 'monitor', 'episodes', 'activity calls', 'executions', 'largest history', 'detection'],
      rows,
      ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    `Target: a 24 h callback job <= 1/5 of the episodes of the same job polled: ${called ?? '-'} / ${polled ?? '-'} = ${
      ratio === undefined ? '-' : ratio.toFixed(2)
    } ${metMark(ratio === undefined ? undefined : ratio <= 0.2)}`,
    '',
    ...liveLines(live),
  ].join('\n');
}

function liveLines(live: LiveCallbackResult | string | undefined): string[] {
  if (live === undefined) return [];
  if (typeof live === 'string') return [`Callback detection on the local stack: not measured (${live}).`];
  return [
    `Callback detection on the local stack (${live.jobs} jobs, real clock; job's callback -> settled, which also ` +
      'includes collecting the log and deleting the group, so it bounds detection from above): ' +
      `p50 ${live.p50Ms} ms, p90 ${live.p90Ms} ms, max ${live.maxMs} ms; event sent -> settled p50 ${live.sendToSettledP50Ms} ms.`,
    `Target: callback detection p50 < 1 s on the local stack: ${metMark(live.p50Ms < 1000)}`,
  ];
}
