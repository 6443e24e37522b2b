import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildClientBindingData,
  managementPayload,
  type DurableClientBindingData,
} from './clientBindingData';
import {
  DurableNotFoundError,
  DurableStateError,
  OrchestrationAlreadyExistsError,
  TERMINAL_STATUSES,
} from './durableErrors';
import type { DurableRuntime } from './durableRuntime';
import type { InstanceStatus } from './durableTypes';
import { HttpError, jsonBody, parseBool, parseDate, parseStatuses, readBody } from './httpRequestParsing';
import { statusPayload } from './statusPayload';

const RPC_BASE = '/durabletask/';
const WEBHOOK_BASE = '/runtime/webhooks/durabletask/';
const DEFAULT_PAGE_SIZE = 100;

/**
 * The Durable Functions extension's management HTTP API over a runtime it is
 * given: the real `durable-functions` DurableClient talks to it through
 * `rpcBaseUrl` (`/durabletask/...`), and the webhook URLs of
 * createCheckStatusResponse (`/runtime/webhooks/durabletask/...`) land here too.
 */
export class DurableHttpApi {
  private server?: http.Server;

  /**
   * @param webhookOrigin origin (scheme://host:port) of the Functions host that serves the webhooks, for
   *   the URLs handed to clients; default: this API's own origin.
   */
  constructor(
    private readonly engine: DurableRuntime,
    private readonly webhookOrigin?: string,
  ) {}

  /** The JSON the `durableClient` input binding carries (as the extension builds it). */
  clientBindingData(): DurableClientBindingData {
    const origin = this.origin;
    return buildClientBindingData(this.engine.taskHubName, this.webhookOrigin ?? origin, origin);
  }

  /** An instance's management URLs (createCheckStatusResponse's payload); `origin` replaces the host's. */
  managementPayload(instanceId: string, origin?: string): Record<string, string> {
    return managementPayload(this.clientBindingData(), instanceId, origin);
  }

  get origin(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) {
      throw new Error('DurableHttpApi is not listening');
    }
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  async listen(port: number, host: string): Promise<void> {
    const server = http.createServer((req, res) => {
      void this.handle(req, res).then((handled) => {
        if (!handled) {
          this.send(res, 404, { message: `Not a Durable Functions API path: ${req.method} ${req.url}` });
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // The client keeps connections alive; without this close() would wait for them.
      server.closeAllConnections();
    });
  }

  /** Handles a Durable API request; resolves false (writing nothing) if the path is not one. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let rest: string;
    if (url.pathname.startsWith(RPC_BASE)) {
      rest = url.pathname.slice(RPC_BASE.length);
    } else if (url.pathname.startsWith(WEBHOOK_BASE)) {
      rest = url.pathname.slice(WEBHOOK_BASE.length);
    } else if (url.pathname === RPC_BASE.slice(0, -1) || url.pathname === WEBHOOK_BASE.slice(0, -1)) {
      rest = '';
    } else {
      return false;
    }
    const segments = rest.split('/').map((s) => decodeURIComponent(s));
    if (segments.length > 1 && segments[segments.length - 1] === '') {
      segments.pop();
    }
    try {
      const body = await readBody(req);
      await this.route(req, res, url, segments, body);
    } catch (error) {
      if (error instanceof HttpError) {
        this.send(res, error.status, { message: error.message });
      } else if (error instanceof OrchestrationAlreadyExistsError) {
        this.send(res, 409, { message: error.message });
      } else if (error instanceof DurableNotFoundError) {
        this.send(res, 400, {
          message: 'One or more of the arguments submitted is incorrect',
          exceptionMessage: error.message,
        });
      } else if (error instanceof DurableStateError) {
        this.send(res, error.httpStatus, { message: error.message });
      } else if (error instanceof RangeError) {
        this.send(res, 400, { message: error.message });
      } else {
        this.send(res, 500, {
          message: 'Something went wrong while processing your request',
          exceptionMessage: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return true;
  }

  private async route(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    segments: string[],
    body: string,
  ): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const [controller, first, second, third] = segments;
    if (controller === 'orchestrators' && first) {
      if (method !== 'POST') {
        throw new HttpError(
          404,
          `${method} is not supported on orchestrators/; use POST to start an instance`,
        );
      }
      await this.startOrchestration(req, res, url, first, second || undefined, body);
      return;
    }
    if (controller === 'instances') {
      if (!first) {
        if (method === 'GET') {
          this.listInstances(req, res, url);
          return;
        }
        if (method === 'DELETE') {
          this.purgeByFilter(res, url);
          return;
        }
        throw new HttpError(404, `${method} is not supported on instances/`);
      }
      if (second === undefined) {
        if (method === 'GET') {
          this.getStatus(req, res, url, first);
          return;
        }
        if (method === 'DELETE') {
          this.purge(res, first);
          return;
        }
        throw new HttpError(404, `${method} is not supported on instances/{instanceId}`);
      }
      if (method !== 'POST') {
        throw new HttpError(404, `${method} is not supported on instances/{instanceId}/${second}`);
      }
      switch (second.toLowerCase()) {
        case 'raiseevent':
          if (!third) {
            throw new HttpError(
              400,
              'raiseEvent requires an event name: instances/{instanceId}/raiseEvent/{eventName}',
            );
          }
          this.engine.raiseEventFromJson(first, third, jsonBody(body, 'event data'));
          this.send(res, 202, undefined);
          return;
        case 'terminate':
          this.engine.terminate(first, url.searchParams.get('reason') ?? undefined);
          this.send(res, 202, undefined);
          return;
        case 'rewind':
        case 'restart':
        case 'suspend':
        case 'resume':
          throw new HttpError(501, `The '${second}' operation is not supported by the local durable engine.`);
        default:
          throw new HttpError(404, `Unknown instance operation '${second}'`);
      }
    }
    if (controller === 'entities' && first && second !== undefined && third === undefined) {
      this.entity(res, method, url, first, second, body);
      return;
    }
    throw new HttpError(404, `Unknown Durable Functions API path: /${segments.join('/')}`);
  }

  /** `entities/{name}/{key}`: GET reads the state (404 if the entity does not exist), POST `?op=` signals. */
  private entity(
    res: http.ServerResponse,
    method: string,
    url: URL,
    name: string,
    key: string,
    body: string,
  ): void {
    if (method === 'GET') {
      const { exists, state } = this.engine.readEntityState(name, key);
      this.send(res, exists ? 200 : 404, exists ? state : undefined);
      return;
    }
    if (method !== 'POST') {
      throw new HttpError(404, `${method} is not supported on entities/{name}/{key}`);
    }
    const operation = url.searchParams.get('op') ?? '';
    this.engine.signalEntityFromJson(name, key, operation, jsonBody(body, 'entity operation input'));
    this.send(res, 202, undefined);
  }

  private async startOrchestration(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    functionName: string,
    instanceId: string | undefined,
    body: string,
  ): Promise<void> {
    const id = this.engine.startNewFromJson(functionName, instanceId, jsonBody(body, 'orchestration input'));
    const timeoutSeconds = Number(url.searchParams.get('timeout'));
    const pollingSeconds = Number(url.searchParams.get('pollingInterval'));
    if (
      url.searchParams.has('timeout') &&
      url.searchParams.has('pollingInterval') &&
      timeoutSeconds > 0 &&
      pollingSeconds > 0
    ) {
      try {
        const status = await this.engine.waitForInstance(id, { timeoutMs: timeoutSeconds * 1000 });
        if (status.runtimeStatus === 'Completed') {
          this.send(res, 200, status.output);
          return;
        }
        this.sendStatus(req, res, url, status, false);
        return;
      } catch {
        // timed out: fall through to the check-status response
      }
    }
    const payload = this.managementPayload(id, this.requestOrigin(req));
    this.send(res, 202, payload, { Location: payload.statusQueryGetUri ?? '', 'Retry-After': '10' });
  }

  private requestOrigin(req: http.IncomingMessage): string | undefined {
    const host = req.headers.host;
    return host && (req.url ?? '').startsWith(WEBHOOK_BASE) ? `http://${host}` : undefined;
  }

  private getStatus(req: http.IncomingMessage, res: http.ServerResponse, url: URL, instanceId: string): void {
    const status = this.engine.getStatus(instanceId, {
      showHistory: parseBool(url.searchParams.get('showHistory')) === true,
    });
    if (!status) {
      this.send(res, 404, undefined);
      return;
    }
    this.sendStatus(req, res, url, status, true);
  }

  private sendStatus(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    status: InstanceStatus,
    honourQuery: boolean,
  ): void {
    const q = url.searchParams;
    const showHistory = honourQuery && parseBool(q.get('showHistory')) === true;
    const showHistoryOutput = parseBool(q.get('showHistoryOutput')) === true;
    const showInput = parseBool(q.get('showInput')) ?? true;
    const failureIs500 = parseBool(q.get('returnInternalServerErrorOnFailure')) === true;
    const payload = statusPayload(status, showInput, showHistory ? showHistoryOutput : undefined);
    let code = 200;
    const headers: Record<string, string> = {};
    if (
      status.runtimeStatus === 'Running' ||
      status.runtimeStatus === 'Pending' ||
      status.runtimeStatus === 'ContinuedAsNew'
    ) {
      code = 202;
      headers.Location = `http://${req.headers.host ?? 'localhost'}${req.url ?? ''}`;
      headers['Retry-After'] = '5';
    } else if (status.runtimeStatus === 'Failed' && failureIs500) {
      code = 500;
    }
    this.send(res, code, payload, headers);
  }

  private listInstances(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const q = url.searchParams;
    const all = this.engine.listInstances({
      runtimeStatus: parseStatuses(q.get('runtimeStatus')),
      createdTimeFrom: parseDate(q.get('createdTimeFrom'), 'createdTimeFrom'),
      createdTimeTo: parseDate(q.get('createdTimeTo'), 'createdTimeTo'),
      instanceIdPrefix: q.get('instanceIdPrefix') ?? undefined,
    });
    const topText = q.get('top');
    const pageSize =
      topText !== null && Number.isInteger(Number(topText)) && Number(topText) > 0
        ? Number(topText)
        : DEFAULT_PAGE_SIZE;
    const tokenHeader = req.headers['x-ms-continuation-token'];
    const token = Array.isArray(tokenHeader) ? tokenHeader[0] : tokenHeader;
    let offset = 0;
    if (token) {
      offset = Number(Buffer.from(token, 'base64').toString('utf8'));
      if (!Number.isInteger(offset) || offset < 0) {
        throw new HttpError(400, `Invalid x-ms-continuation-token: ${token}`);
      }
    }
    const showInput = parseBool(q.get('showInput')) ?? true;
    const page = all.slice(offset, offset + pageSize).map((s) => statusPayload(s, showInput, undefined));
    const headers: Record<string, string> = {};
    if (offset + pageSize < all.length) {
      headers['x-ms-continuation-token'] = Buffer.from(String(offset + pageSize)).toString('base64');
    }
    this.send(res, 200, page, headers);
  }

  private purge(res: http.ServerResponse, instanceId: string): void {
    const status = this.engine.getStatus(instanceId);
    if (!status) {
      this.send(res, 404, undefined);
      return;
    }
    if (!TERMINAL_STATUSES.includes(status.runtimeStatus)) {
      throw new HttpError(
        412,
        `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${instanceId} has status ${status.runtimeStatus}`,
      );
    }
    this.engine.purge(instanceId);
    this.send(res, 200, { instancesDeleted: 1 });
  }

  private purgeByFilter(res: http.ServerResponse, url: URL): void {
    const q = url.searchParams;
    const from = parseDate(q.get('createdTimeFrom'), 'createdTimeFrom');
    if (!from) {
      throw new HttpError(400, "Please provide value for 'createdTimeFrom' parameter.");
    }
    const to = parseDate(q.get('createdTimeTo'), 'createdTimeTo') ?? new Date(this.engine.clock.now());
    const deleted = this.engine.purgeBy(from, to, parseStatuses(q.get('runtimeStatus')));
    if (deleted === 0) {
      this.send(res, 404, undefined);
      return;
    }
    this.send(res, 200, { instancesDeleted: deleted });
  }

  private send(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent) {
      return;
    }
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }
}
