import type { JobView } from './jobStatus';

type AttemptKey = Pick<
  JobView,
  'instanceId' | 'eventId' | 'eventSource' | 'route' | 'resubmission' | 'attempt'
>;

/**
 * The newest attempt per (event, source, route): the highest resubmission generation first, then the highest
 * attempt (attempt 3 of the original delivery is older than attempt 1 of a resubmission). Jobs of several events
 * (bare `watch`) are kept apart. An instance that has not run yet has no identity in its status; it is keyed by
 * its instance id, so it is never merged with another event's.
 */
export function newestAttempts<T extends AttemptKey>(jobs: readonly T[]): T[] {
  const newest = new Map<string, T>();
  for (const job of jobs) {
    const event = job.eventId === null ? job.instanceId : `${job.eventId}\u0000${job.eventSource ?? ''}`;
    const key = `${event}\u0000${job.route}`;
    const seen = newest.get(key);
    if (!seen || compareAttempts(job, seen) > 0) newest.set(key, job);
  }
  return [...newest.values()];
}

/** Order of one event's attempts: route, then resubmission generation, then attempt. */
export function compareAttempts(a: AttemptKey, b: AttemptKey): number {
  return (
    (a.route < b.route ? -1 : a.route > b.route ? 1 : 0) ||
    a.resubmission - b.resubmission ||
    a.attempt - b.attempt
  );
}
