import type { CloudEvent } from '../events/cloudEvent';

/** The part of a route that decides whether an event is for it. */
export interface RouteMatcher {
  match: { type: string; source?: string; subject?: string };
}

const compiled = new Map<string, RegExp>();

/** `*` matches any run of characters (including none); everything else is literal and case-sensitive. */
export function globMatches(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
    compiled.set(pattern, re);
  }
  return re.test(value);
}

export function routeMatches(
  route: RouteMatcher,
  event: Pick<CloudEvent, 'type' | 'source' | 'subject'>,
): boolean {
  const { type, source, subject } = route.match;
  // An event without a subject only matches a route that does not filter on it, or filters with "*".
  return (
    globMatches(type, event.type) &&
    (source === undefined || globMatches(source, event.source)) &&
    (subject === undefined || globMatches(subject, event.subject ?? ''))
  );
}

/** Every matching route, in routes-file order (fan-out: each gets its own job and retries). */
export function matchRoutes<R extends RouteMatcher>(
  routes: readonly R[],
  event: Pick<CloudEvent, 'type' | 'source' | 'subject'>,
): R[] {
  return routes.filter((route) => routeMatches(route, event));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
