import { fmt, markdownTable } from './markdownTable';
import { REPLAY_ROUNDS, type ReplayCostRow } from './replayCost';

export function renderReplaySection(rows: ReplayCostRow[]): string {
  const parts: string[] = [];
  parts.push('## 3. Replay CPU cost per orchestrator episode');
  parts.push(
    [
      "durable-functions' own replay code (the handler `df.app.orchestration` registers) given a synthetic history of an",
      'activity chain (OrchestratorStarted / TaskCompleted / TaskScheduled / OrchestratorCompleted per episode) and the',
      'new TaskCompleted; the episode replays every result and schedules the next activity. CPU is `process.cpuUsage()`',
      `(user + system, process-wide, so V8's GC and compiler threads count and CPU can exceed wall time), median of`,
      `${REPLAY_ROUNDS} rounds (range shown); "with parse" adds \`JSON.parse\` of the binding as the worker receives it.`,
    ].join('\n'),
  );
  parts.push(
    markdownTable(
      [
        'History events',
        'Activities replayed',
        'Episodes measured',
        'CPU µs / episode',
        'Range over rounds',
        'CPU µs / episode with parse',
        'CPU µs / event',
        'Wall µs / episode',
      ],
      rows.map((r) => [
        fmt(r.historyEvents),
        fmt(r.activities),
        fmt(r.iterations),
        fmt(r.cpuMicrosPerEpisode, 1),
        `${fmt(r.cpuMicrosRange[0], 0)}–${fmt(r.cpuMicrosRange[1], 0)}`,
        fmt(r.cpuMicrosPerEpisodeWithParse, 1),
        fmt(r.cpuMicrosPerEpisode / r.historyEvents, 2),
        fmt(r.wallMicrosPerEpisode, 1),
      ]),
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  return parts.join('\n\n');
}
