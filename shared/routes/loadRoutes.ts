import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors/dispatchErrors';
import { parseJson } from '../events/parseJson';
import { tryParseIsoDuration } from '../policy/isoDuration';
import { routeSchema, routesFileSchema, type RouteDefinition } from './routeSchema';

export type RoutesParseResult = { ok: true; routes: RouteDefinition[] } | { ok: false; errors: string[] };

/**
 * Parses and validates routes-file text. Collects ALL problems, each prefixed by the exact path
 * (`routes[1].policy.timeout: expected an ISO-8601 duration ...`); JSON syntax errors carry line and column.
 */
export function parseRoutes(text: string): RoutesParseResult {
  const json = parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (!json.ok) return { ok: false, errors: [json.message] };
  const result = routesFileSchema.safeParse(json.value, { reportInput: true });
  // Cross-field checks run on every route that parses on its own, so one bad route hides nothing else.
  const errors = [
    ...(result.success ? [] : result.error.issues.flatMap(formatIssue)),
    ...crossFieldErrors(json.value),
  ];
  if (errors.length > 0 || !result.success) return { ok: false, errors };
  return { ok: true, routes: result.data.routes };
}

/** Reads and validates the routes file; throws ConfigError listing every problem, prefixed with the file path. */
export function loadRoutes(path: string): RouteDefinition[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError(`routes file ${path}: ${why} (set DISPATCH_ROUTES_FILE)`);
  }
  const parsed = parseRoutes(text);
  if (!parsed.ok) {
    throw new ConfigError(
      `routes file ${path} is invalid:\n${parsed.errors.map((e) => `  ${e}`).join('\n')}`,
      parsed.errors,
    );
  }
  return parsed.routes;
}

/** The core of `dispatcher validate`: never throws for a bad file, reports every problem. */
export function validateRoutesFile(path: string): { ok: boolean; errors: string[] } {
  try {
    loadRoutes(path);
    return { ok: true, errors: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, errors: [...err.issues] };
    throw err;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === '' ? '(root)' : out;
}

function formatIssue(issue: z.core.$ZodIssue): string[] {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown field`);
    case 'invalid_type':
      if (issue.input === undefined) return [`${path}: required, ${stripPrefix(issue.message)}`];
      return [`${path}: ${stripPrefix(issue.message)}, got ${describe(issue.input)}`];
    default: {
      const message = stripPrefix(issue.message);
      const input = (issue as { input?: unknown }).input;
      const shown = typeof input === 'string' || typeof input === 'number';
      return [`${path}: ${message}${shown && !message.includes('got ') ? `, got ${describe(input)}` : ''}`];
    }
  }
}

/** zod's own defaults read "Invalid input: expected string, received number"; keep only the useful part. */
function stripPrefix(message: string): string {
  return message.replace(/^Invalid input: /, '').replace(/, received \w+$/, '');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${JSON.stringify(value) ?? ''}`;
}

function crossFieldErrors(file: unknown): string[] {
  const errors: string[] = [];
  const rawRoutes = (file as { routes?: unknown } | null)?.routes;
  if (!Array.isArray(rawRoutes)) return errors;
  const firstIndex = new Map<string, number>();
  rawRoutes.forEach((raw: unknown, i) => {
    const at = `routes[${i}]`;
    const name = (raw as { name?: unknown } | null)?.name;
    if (typeof name === 'string') {
      const seen = firstIndex.get(name);
      if (seen !== undefined)
        errors.push(`${at}.name: duplicate route name "${name}" (first used by routes[${seen}])`);
      else firstIndex.set(name, i);
    }
    const parsed = routeSchema.safeParse(raw);
    if (!parsed.success) return;
    const route = parsed.data;

    const { backoff, poll } = route.policy;
    if (ms(backoff.initial) > ms(backoff.max)) {
      errors.push(`${at}.policy.backoff.max: must not be shorter than backoff.initial (${backoff.initial})`);
    }
    if (ms(poll.initial) > ms(poll.max)) {
      errors.push(`${at}.policy.poll.max: must not be shorter than poll.initial (${poll.initial})`);
    }
    for (const name of Object.keys(route.job.secretEnv)) {
      if (name in route.job.env) errors.push(`${at}.job.secretEnv.${name}: also defined in job.env`);
    }
    // The dispatcher sets these itself (see adapters/aci/buildContainerGroup.ts).
    const reserved: Record<string, string> =
      route.job.eventDelivery === 'env'
        ? { DISPATCH_EVENT: 'the event JSON' }
        : { DISPATCH_EVENT_FILE: 'the path of the event file' };
    if (route.job.outputFile !== undefined) {
      reserved['DISPATCH_OUTPUT_FILE'] = 'the path of the output file';
      errors.push(...outputFileErrors(route.job, `${at}.job`));
    }
    for (const [name, what] of Object.entries(reserved)) {
      for (const block of ['env', 'secretEnv'] as const) {
        if (name in route.job[block])
          errors.push(`${at}.job.${block}.${name}: reserved, the dispatcher sets it to ${what}`);
      }
    }
  });
  return errors;
}

/** The output file needs a command to wrap, and a directory of its own (it becomes an empty volume). */
function outputFileErrors(job: RouteDefinition['job'], at: string): string[] {
  const errors: string[] = [];
  if (job.command === undefined) {
    errors.push(
      `${at}.outputFile: needs job.command (the dispatcher runs the command under a sh epilogue that prints the file to the log; an image's own entrypoint cannot be wrapped)`,
    );
  }
  const dir = posix.dirname(job.outputFile ?? '');
  if (job.eventDelivery === 'file' && posix.dirname(job.filePath) === dir) {
    errors.push(`${at}.outputFile: must not be in the event file's directory (${dir}, read-only)`);
  }
  return errors;
}

function ms(duration: string): number {
  const parsed = tryParseIsoDuration(duration);
  return parsed.ok ? parsed.ms : 0;
}
