import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, HttpResponse } from '@azure/functions';
import type { HostLogSink } from './hostLog';
import { compileRoute, type CompiledRoute } from './httpRoute';

export interface HttpFunctionBinding {
  functionName: string;
  /** Upper-case methods; empty means every method (the host's default is GET and POST when unset). */
  methods: string[];
  route: string;
  invoke(request: HttpRequest): Promise<unknown>;
}

export interface HttpTriggerServer {
  readonly port: number;
  /** `http://localhost:<port>/<prefix>` */
  readonly baseUrl: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toResponse(result: unknown): HttpResponse {
  if (result instanceof HttpResponse) return result;
  if (result === undefined || result === null) return new HttpResponse({ status: 204 });
  if (typeof result === 'object') return new HttpResponse(result);
  return new HttpResponse({ body: typeof result === 'string' ? result : JSON.stringify(result) });
}

async function writeResponse(res: ServerResponse, response: HttpResponse): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  response.headers.forEach((value, name) => res.setHeader(name, value));
  const cookies = response.cookies.map((c) => {
    let text = `${c.name}=${c.value}`;
    if (c.path) text += `; Path=${c.path}`;
    if (c.domain) text += `; Domain=${c.domain}`;
    if (c.maxAge !== undefined) text += `; Max-Age=${c.maxAge}`;
    if (c.expires) text += `; Expires=${new Date(c.expires).toUTCString()}`;
    if (c.secure) text += '; Secure';
    if (c.httpOnly) text += '; HttpOnly';
    if (c.sameSite) text += `; SameSite=${c.sameSite}`;
    return text;
  });
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.statusCode = response.status;
  res.end(body);
}

/**
 * The HTTP side of the local host: `/<routePrefix>/<route>` to the matching function with an
 * @azure/functions HttpRequest, the returned HttpResponse / HttpResponseInit written back. Function keys
 * and auth levels are not checked locally (as `func start` does not). A throw is a 500, like the host.
 */
export async function startHttpTriggerServer(options: {
  port: number;
  routePrefix?: string;
  functions: HttpFunctionBinding[];
  log: HostLogSink;
  /** A path under the route prefix that `GET /` redirects to (the dashboard), instead of a 404. */
  homepage?: string;
  /** Answered with 503 until ready() is called, so probes don't reach a half-started app. */
  isReady?: () => boolean;
  /** Built-in host endpoints (the Durable webhooks under /runtime/webhooks/durabletask): true when handled. */
  builtIn?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}): Promise<HttpTriggerServer> {
  const prefix = (options.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
  const routes: Array<{ binding: HttpFunctionBinding; route: CompiledRoute }> = options.functions.map(
    (binding) => ({
      binding,
      route: compileRoute(binding.route),
    }),
  );

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host ?? `localhost:${(server.address() as AddressInfo).port}`;
    const url = new URL(req.url ?? '/', `http://${host}`);
    const path = decodeURI(url.pathname).replace(/^\/+/, '');
    const method = (req.method ?? 'GET').toUpperCase();
    const lowerPath = path.toLowerCase();
    if (options.builtIn && lowerPath.startsWith('runtime/') && (await options.builtIn(req, res))) return;
    if (path === '' && options.homepage !== undefined && (method === 'GET' || method === 'HEAD')) {
      const target = `/${prefix === '' ? '' : `${prefix}/`}${options.homepage}${url.search}`;
      res.writeHead(302, { location: target, 'content-type': 'text/plain' }).end(`See ${target}`);
      return;
    }
    const rest =
      prefix === ''
        ? path
        : lowerPath === prefix || lowerPath.startsWith(`${prefix}/`)
          ? path.slice(prefix.length)
          : undefined;
    let methodMismatch = false;
    if (rest !== undefined) {
      for (const { binding, route } of routes) {
        const params = route.match(rest);
        if (!params) continue;
        if (binding.methods.length > 0 && !binding.methods.includes(method)) {
          methodMismatch = true;
          continue;
        }
        if (options.isReady && !options.isReady()) {
          res.writeHead(503, { 'content-type': 'text/plain' }).end('The host is starting.');
          return;
        }
        const body = await readBody(req);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        const request = new HttpRequest({
          method,
          url: url.toString(),
          headers,
          query: Object.fromEntries(url.searchParams.entries()),
          params,
          body: body.length > 0 ? { bytes: body } : undefined,
        });
        let response: HttpResponse;
        try {
          response = toResponse(await binding.invoke(request));
        } catch (err) {
          options.log({
            level: 'error',
            functionName: binding.functionName,
            message: `Executed with an error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
          });
          response = new HttpResponse({ status: 500 });
        }
        await writeResponse(res, response);
        return;
      }
    }
    res.writeHead(methodMismatch ? 405 : 404, { 'content-type': 'text/plain' });
    res.end(methodMismatch ? `${method} is not allowed on /${path}` : `No function matches /${path}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.log({
        level: 'error',
        message: `HTTP ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`,
      });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `HTTP port ${options.port} is in use (is another host running? pick another with --port)`,
            )
          : err,
      ),
    );
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    baseUrl: `http://localhost:${port}${prefix === '' ? '' : `/${prefix}`}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
