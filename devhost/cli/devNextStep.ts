import { readFileSync } from 'node:fs';
import { defaultDevConnectionString } from './sendCommand';

const defaultApi = 'http://localhost:7071/api';

/** The first route's event type that names one type (no `*` glob), to suggest a `send` that matches. */
function firstRouteType(routesFile: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(routesFile, 'utf8')) as {
      routes?: Array<{ match?: { type?: unknown } }>;
    };
    for (const route of parsed.routes ?? []) {
      const type = route.match?.type;
      if (typeof type === 'string' && !type.includes('*')) return type;
    }
  } catch {
    // The stack validated the file when it started; a hint is not worth an error.
  }
  return undefined;
}

function quote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * What `dispatcher dev` prints after `ready`: the command to try next, with `--connection` / `--api` only when
 * the stack does not run on the defaults the other commands assume.
 */
export function nextStepHint(
  stack: { serviceBusConnectionString: string; httpBase: string },
  routesFile: string,
): string {
  const type = firstRouteType(routesFile) ?? 'demo.hello';
  const connection =
    stack.serviceBusConnectionString === defaultDevConnectionString
      ? ''
      : ` --connection ${quote(stack.serviceBusConnectionString)}`;
  const api = stack.httpBase === defaultApi ? '' : ` --api ${stack.httpBase}`;
  const data = type === 'demo.hello' ? ` --data '{"name":"you"}'` : '';
  return (
    `Next, in another terminal: npx dispatcher send --type ${type}${data}${connection}\n` +
    `  then: npx dispatcher watch <the id it printed>${api}   (Ctrl-C here stops the stack)`
  );
}
