import type { JobView } from '../../functions/status/jobStatus';
import { newestAttempts } from '../../functions/status/newestAttempts';
import {
  describeAttempts,
  describeJobOutput,
  describeRejections,
  fetchEventState,
  findDeadLetters,
  jobsSettled,
  jobsSucceeded,
  type Rejection,
} from './eventOutcome';

/** Where to read what happened: the status API, and the queue whose dead-letter queue holds rejections. */
export interface FollowOptions {
  api: string;
  key?: string;
  connectionString: string;
  queue: string;
  intervalMs: number;
  timeoutMs?: number;
  /** Concurrent status requests while following many events. */
  concurrency?: number;
}

export interface EventOutcome {
  eventId: string;
  /** Succeeded, DeadLettered, Rejected, Failed (an orchestration failed) or TimedOut (still running at the end). */
  outcome: 'Succeeded' | 'DeadLettered' | 'Rejected' | 'Failed' | 'TimedOut';
  jobs: JobView[];
  rejections: Rejection[];
  /** When the last attempt settled (its last update), ms since the epoch. */
  settledAt?: number;
}

function outcomeOf(jobs: readonly JobView[]): EventOutcome['outcome'] {
  if (jobsSucceeded(jobs)) return 'Succeeded';
  const latest = newestAttempts(jobs);
  return latest.some((j) => j.phase === 'DeadLettered') ? 'DeadLettered' : 'Failed';
}

/**
 * Polls the status API for every event until each settled, was rejected, or the timeout passed. An event without
 * jobs is looked up in the dead-letter queue (a rejection lands there) every few polls; the event ledger's
 * rejections, when the API reports them, are used first.
 */
export async function followEvents(
  eventIds: readonly string[],
  options: FollowOptions,
  onSettled: (outcome: EventOutcome) => void = () => undefined,
): Promise<EventOutcome[]> {
  const pending = new Set(eventIds);
  const results = new Map<string, EventOutcome>();
  const started = Date.now();
  const settle = (outcome: EventOutcome): void => {
    pending.delete(outcome.eventId);
    results.set(outcome.eventId, outcome);
    onSettled(outcome);
  };
  let round = 0;
  while (pending.size > 0) {
    const jobless = new Set<string>();
    const ids = [...pending];
    const concurrency = options.concurrency ?? 16;
    for (let i = 0; i < ids.length; i += concurrency) {
      await Promise.all(
        ids.slice(i, i + concurrency).map(async (eventId) => {
          const state = await fetchEventState(options.api, eventId, options.key);
          if (state.rejections.length > 0 && state.jobs.length === 0) {
            settle({
              eventId,
              outcome: 'Rejected',
              jobs: [],
              rejections: state.rejections,
              settledAt: Date.now(),
            });
          } else if (jobsSettled(state.jobs)) {
            const last = Math.max(...newestAttempts(state.jobs).map((j) => Date.parse(j.lastUpdatedTime)));
            settle({
              eventId,
              outcome: outcomeOf(state.jobs),
              jobs: state.jobs,
              rejections: [],
              settledAt: last,
            });
          } else if (state.jobs.length === 0) jobless.add(eventId);
        }),
      );
    }
    // A rejected event never gets a job: from the second round on, look for it in the dead-letter queue.
    if (jobless.size > 0 && round % 3 === 1) {
      for (const entry of await findDeadLetters(options.connectionString, options.queue, jobless)) {
        if (!entry.eventId || !pending.has(entry.eventId)) continue;
        settle({
          eventId: entry.eventId,
          outcome: 'Rejected',
          jobs: [],
          rejections: [{ reason: entry.reason ?? 'DeadLettered', description: entry.description ?? '' }],
          settledAt: entry.enqueuedTime ? Date.parse(entry.enqueuedTime) : Date.now(),
        });
      }
    }
    if (pending.size === 0) break;
    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
      for (const eventId of pending)
        results.set(eventId, { eventId, outcome: 'TimedOut', jobs: [], rejections: [] });
      break;
    }
    round++;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
  return eventIds.map(
    (id) => results.get(id) ?? { eventId: id, outcome: 'TimedOut', jobs: [], rejections: [] },
  );
}

/** What `send --wait` prints for one event. */
export function describeOutcome(outcome: EventOutcome): string[] {
  if (outcome.outcome === 'Rejected') return describeRejections(outcome.eventId, outcome.rejections);
  if (outcome.outcome === 'TimedOut') return [`event ${outcome.eventId} has not settled yet`];
  const head = newestAttempts(outcome.jobs)
    .map(
      (j) =>
        `${j.route}: ${j.phase} after ${j.attempt} attempt${j.attempt === 1 ? '' : 's'}${j.exitCode !== null ? ` (exit ${j.exitCode})` : ''}`,
    )
    .join(', ');
  const log = outcome.jobs
    .filter((j) => j.phase === 'Succeeded' && j.logTail)
    .flatMap((j) => [
      `  ${j.route} output:`,
      ...(j.logTail ?? '')
        .split('\n')
        .slice(-5)
        .map((l) => `    ${l}`),
    ]);
  return [
    `event ${outcome.eventId} ${outcome.outcome}: ${head}`,
    ...describeAttempts(outcome.jobs),
    ...log,
    ...newestAttempts(outcome.jobs).flatMap(describeJobOutput),
  ];
}

/** Exit codes shared with `watch`: 0 succeeded, 2 dead-lettered, rejected or failed, 3 timed out. */
export function exitCodeFor(outcomes: readonly EventOutcome[]): number {
  if (outcomes.some((o) => o.outcome === 'TimedOut')) return 3;
  return outcomes.every((o) => o.outcome === 'Succeeded') ? 0 : 2;
}
