import type * as http from 'node:http';
import type { DurableClientBindingData } from './clientBindingData';
import {
  DurableNotFoundError,
  DurableStateError,
  OrchestrationAlreadyExistsError,
  TERMINAL_STATUSES,
} from './durableErrors';
import type { RuntimeStatus } from './durableErrors';
import { DurableHttpApi } from './durableHttpApi';
import { DurableRuntime } from './durableRuntime';
import type { DurableEngineOptions } from './engineSettings';

export { DurableNotFoundError, DurableStateError, OrchestrationAlreadyExistsError, TERMINAL_STATUSES };
export type { RuntimeStatus, DurableClientBindingData, DurableEngineOptions };
export type {
  DurableCounterSet,
  DurableCounters,
  DurableFunctionHandler,
  InstanceQuery,
  InstanceStatus,
  StartOrchestrationOptions,
  WaitForInstanceOptions,
} from './durableTypes';

/**
 * The local Durable Functions back end as the offline stack uses it: the {@link DurableRuntime} plus the
 * management HTTP API the real DurableClient talks to. The API is given the runtime; this class only
 * wires the two and answers what depends on the API's address (client binding data, webhook handling).
 */
export class DurableEngine extends DurableRuntime {
  private readonly httpOptions: false | { port?: number; host?: string };
  private readonly webhookOriginOverride?: string;
  private httpApi?: DurableHttpApi;
  private starting = false;

  constructor(options: DurableEngineOptions = {}) {
    super(options);
    this.httpOptions = options.http === undefined ? { port: 0 } : options.http;
    this.webhookOriginOverride = options.webhookOrigin?.replace(/\/+$/, '');
  }

  /** Starts the management API (unless `http: false`) and resumes persisted unfinished instances. */
  override async start(): Promise<void> {
    if (this.starting) {
      return;
    }
    this.starting = true;
    if (this.httpOptions !== false) {
      this.httpApi = new DurableHttpApi(this, this.webhookOriginOverride);
      await this.httpApi.listen(this.httpOptions.port ?? 0, this.httpOptions.host ?? '127.0.0.1');
    }
    await super.start();
  }

  /** Stops the runtime (see {@link DurableRuntime.stop}) and closes the HTTP API. */
  override async stop(): Promise<void> {
    await super.stop();
    await this.httpApi?.close();
  }

  /** Origin of the management API (`http://127.0.0.1:<port>`); throws before start() or with `http: false`. */
  get apiOrigin(): string {
    return this.requireApi().origin;
  }

  /** `rpcBaseUrl` the durable client uses: `http://127.0.0.1:<port>/durabletask/`. */
  get rpcBaseUrl(): string {
    return `${this.apiOrigin}/durabletask/`;
  }

  /** The JSON the `durableClient` input binding carries (as the extension builds it). */
  clientBindingData(): DurableClientBindingData {
    return this.requireApi().clientBindingData();
  }

  protected override activityClientBinding(): unknown {
    return this.httpApi?.clientBindingData();
  }

  /** Status payload the way the extension's HTTP API serializes it. */
  managementPayload(instanceId: string, origin?: string): Record<string, string> {
    return this.requireApi().managementPayload(instanceId, origin);
  }

  private requireApi(): DurableHttpApi {
    if (!this.httpApi) {
      throw new Error(
        'DurableEngine: the management HTTP API is not listening (call start(), and do not pass http: false)',
      );
    }
    return this.httpApi;
  }

  /**
   * Request handler for `/runtime/webhooks/durabletask/...` and `/durabletask/...`
   * so a local Functions host can serve the webhooks on its own port.
   * Resolves false if the path is not a durable API path (nothing was written).
   */
  handleHttpRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const api = this.httpApi ?? new DurableHttpApi(this, this.webhookOriginOverride);
    return api.handle(req, res);
  }
}
