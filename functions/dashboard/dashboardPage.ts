import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

/**
 * `GET /api/dashboard/` and its assets: a static page (plain HTML, CSS and JS) that reads the status API. Function
 * auth like the rest of the API: in Azure open `/api/dashboard/?code=<function key>`; the page sends that key with
 * every call it makes. The offline host also serves it at `/`.
 */
export const DASHBOARD_FUNCTION = 'dashboard';

/** Everything the page loads (its ES modules import each other by these names); nothing else is served. */
const contentTypes: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'deadLetterPanel.js': 'text/javascript; charset=utf-8',
  'statsPanels.js': 'text/javascript; charset=utf-8',
};

/** The assets sit beside the compiled module (the build copies them into dist). */
const assetDir = join(__dirname, 'static');

export function createDashboardPage(dir: string = assetDir) {
  const cache = new Map<string, Buffer>();
  return async (request: HttpRequest): Promise<HttpResponseInit> => {
    const name = request.params.asset || 'index.html';
    const type = contentTypes[name];
    if (type === undefined) return { status: 404, body: `no dashboard asset '${name}'` };
    let body = cache.get(name);
    if (body === undefined) {
      body = await readFile(join(dir, name));
      cache.set(name, body);
    }
    return {
      status: 200,
      body,
      headers: {
        'content-type': type,
        'cache-control': 'no-cache',
        // The page only talks to its own origin; no inline script, no framing.
        'content-security-policy':
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
      },
    };
  };
}

export function registerDashboardPage(): void {
  app.http(DASHBOARD_FUNCTION, {
    methods: ['GET'],
    authLevel: 'function',
    route: 'dashboard/{*asset}',
    handler: createDashboardPage(),
  });
}
