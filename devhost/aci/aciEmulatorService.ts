import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { ArmError, invalidRequest, resourceNotFound } from './armError';
import { ContainerGroupRuntime, type RuntimeDependencies } from './containerGroupRuntime';
import { readState, redact, writeState } from './aciEmulatorState';
import { AciQuotaTracker, normalizeLocation, type AciQuota, type RegionUsage } from './aciQuota';
import { RateFaultInjector, type FaultRates } from './faultRates';
import { matchArmRoute } from './matchArmRoute';
import { validateProcessLimits } from './validateProcessLimits';
import {
  capacityError,
  FAULT_TAG,
  FaultInjector,
  parseFaultTag,
  type FaultContext,
  type FaultOperation,
} from './faultInjector';
import {
  validateContainerGroup,
  validateContainerGroupName,
  type ContainerGroupSpec,
} from './validateContainerGroup';

const RESOURCE_TYPE = 'Microsoft.ContainerInstance/containerGroups';
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** How long an operation-status GET waits for the operation to finish before answering InProgress. */
const OPERATION_LONG_POLL_MS = 300;

export interface ServiceOptions {
  images: ReadonlyMap<string, string[]>;
  workDir: string;
  unavailableLocations: readonly string[];
  imagePullTimeoutMs: number;
  killGraceMs: number;
  /** When set, groups (redacted spec, states, logs) and operations persist in <stateDir>/containerGroups.json. */
  stateDir?: string;
  /** Limits per (subscription, region); ACI's defaults when not set. */
  quota: AciQuota;
  /** Transient faults injected at a rate (see faultRates.ts). */
  faultRates?: FaultRates;
  log: (line: string) => void;
}

/** Thrown to end a request by destroying its connection, without an answer (an injected `reset`). */
class DropConnection extends Error {}

/** Per request: set when a `lost-response` fault hit the call, which is performed but not answered. */
interface RequestContext {
  lostAs?: '500' | 'reset';
}

const SAVE_DEBOUNCE_MS = 200;

interface GroupEntry {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  runtime: ContainerGroupRuntime;
}

interface Operation {
  id: string;
  subscriptionId: string;
  location: string;
  groupKey: string;
  runtime: ContainerGroupRuntime;
  startTime: string;
  endTime?: string;
}

function groupKey(subscriptionId: string, resourceGroup: string, name: string): string {
  // ARM resource group names are case-insensitive.
  return `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES)
      throw new ArmError(
        413,
        'RequestContentTooLarge',
        `The request content exceeds the maximum of ${MAX_BODY_BYTES} bytes.`,
      );
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The ARM Microsoft.ContainerInstance/containerGroups API over in-memory state and local processes. */
export class AciEmulatorService {
  private readonly groups = new Map<string, GroupEntry>();
  private readonly operations = new Map<string, Operation>();
  private readonly faults = new FaultInjector();
  private readonly quota: AciQuotaTracker;
  private readonly rateFaults: RateFaultInjector | undefined;
  private readonly disposals = new Set<Promise<void>>();
  private groupCounter = 0;
  private closed = false;
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ServiceOptions) {
    this.quota = new AciQuotaTracker(options.quota);
    this.rateFaults = options.faultRates ? new RateFaultInjector(options.faultRates) : undefined;
  }

  /** Reloads the state dir, if any. Containers that were running are reported killed (see README). */
  loadState(): void {
    if (!this.options.stateDir) return;
    const state = readState(this.options.stateDir);
    if (!state) return;
    for (const persisted of state.groups) {
      const entry = this.newEntry(
        persisted.subscriptionId,
        persisted.resourceGroup,
        persisted.name,
        persisted.spec,
        persisted.dir,
      );
      entry.runtime.restore(persisted.runtime, persisted.redacted);
      this.groups.set(groupKey(entry.subscriptionId, entry.resourceGroup, entry.name), entry);
    }
    this.quota.restoreCreateTimes(state.createTimes);
    for (const op of state.operations ?? []) {
      const runtime = this.groups.get(op.groupKey)?.runtime;
      if (runtime) this.operations.set(op.id, { ...op, runtime });
    }
    this.options.log(`restored ${state.groups.length} container group(s) from ${this.options.stateDir}`);
    this.scheduleSave();
  }

  private scheduleSave(): void {
    if (!this.options.stateDir || this.closed || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      if (!this.closed) this.saveNow();
    }, SAVE_DEBOUNCE_MS);
    this.saveTimer.unref();
  }

  /** Writes the state file now (and cancels a pending debounced save): before answering a create or delete. */
  private saveNow(): void {
    const dir = this.options.stateDir;
    if (!dir) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const groups = [...this.groups.values()].map((e) => {
      const { spec, redacted } = redact(e.runtime.spec);
      return {
        subscriptionId: e.subscriptionId,
        resourceGroup: e.resourceGroup,
        name: e.name,
        spec,
        redacted: redacted || e.runtime.restoredWithoutSecrets,
        dir: e.runtime.groupDir,
        runtime: e.runtime.snapshot(),
      };
    });
    const operations = [...this.operations.values()]
      .filter((op) => this.groups.get(op.groupKey)?.runtime === op.runtime)
      .map((op) => ({
        id: op.id,
        subscriptionId: op.subscriptionId,
        location: op.location,
        groupKey: op.groupKey,
        startTime: op.startTime,
        ...(op.endTime ? { endTime: op.endTime } : {}),
      }));
    try {
      writeState(dir, groups, operations, this.quota.createTimes());
    } catch (err) {
      this.options.log(`cannot save state to ${dir}: ${(err as Error).message}`);
    }
  }

  private newEntry(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    spec: ContainerGroupSpec,
    dir?: string,
  ): GroupEntry {
    const stateDir = this.options.stateDir;
    const deps: RuntimeDependencies = {
      images: this.options.images,
      // With a state dir the files must outlive this process, as the containers writing them do.
      groupDir:
        dir ??
        (stateDir
          ? path.join(stateDir, 'groups', `${name}-${randomUUID().slice(0, 8)}`)
          : path.join(this.options.workDir, `${name}-${++this.groupCounter}`)),
      log: this.options.log,
      imagePullTimeoutMs: this.options.imagePullTimeoutMs,
      killGraceMs: this.options.killGraceMs,
      supervise: stateDir !== undefined,
      onChange: () => this.scheduleSave(),
    };
    return {
      subscriptionId,
      resourceGroup,
      name,
      runtime: new ContainerGroupRuntime(spec, deps, `${resourceGroup}/${name}`),
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const started = Date.now();
    const headers: Record<string, string> = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': String(req.headers['x-ms-correlation-request-id'] ?? requestId),
      'Cache-Control': 'no-cache',
    };
    const clientRequestId = req.headers['x-ms-client-request-id'];
    if (typeof clientRequestId === 'string') headers['x-ms-client-request-id'] = clientRequestId;
    let status = 500;
    const context: RequestContext = {};
    try {
      const result = await this.route(req, context);
      if (context.lostAs === 'reset') throw new DropConnection();
      if (context.lostAs === '500')
        throw new ArmError(
          500,
          'InternalServerError',
          'Encountered internal server error (the ACI emulator performed the request and lost its response).',
        );
      status = result.status;
      const body = result.body === undefined ? undefined : JSON.stringify(result.body);
      res.writeHead(result.status, {
        ...headers,
        ...(result.headers ?? {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
      });
      res.end(body);
    } catch (err) {
      if (err instanceof DropConnection) {
        this.options.log(`${req.method} ${(req.url ?? '').split('?')[0]} -> connection reset (injected)`);
        req.socket.destroy();
        return;
      }
      const armError =
        err instanceof ArmError
          ? err
          : new ArmError(500, 'InternalServerError', `The ACI emulator failed: ${(err as Error).message}`);
      status = armError.statusCode;
      if (!(err instanceof ArmError))
        this.options.log(
          `internal error on ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`,
        );
      res.writeHead(armError.statusCode, {
        ...headers,
        ...armError.headers,
        'Content-Type': 'application/json; charset=utf-8',
      });
      res.end(JSON.stringify(armError.toBody()));
    }
    const pathOnly = (req.url ?? '').split('?')[0];
    this.options.log(`${req.method} ${pathOnly} -> ${status} (${Date.now() - started} ms)`);
  }

  /**
   * With a state dir (unless `stopContainers`): saves and leaves running containers running, for the next
   * emulator on this state dir to re-attach to. Otherwise kills every process and removes every group's files.
   */
  async close(options: { stopContainers?: boolean } = {}): Promise<void> {
    const keep = this.options.stateDir !== undefined && options.stopContainers !== true;
    const entries = [...this.groups.values()];
    // Detached first: its last read of the output schedules a save, cancelled here for the final one below.
    if (keep) for (const entry of entries) entry.runtime.detach();
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    // Saved before anything is killed: a forced stop still leaves a state a restart can read.
    if (!this.closed) this.saveNow();
    this.closed = true;
    this.groups.clear();
    await Promise.all([...(keep ? [] : entries.map((e) => e.runtime.dispose())), ...this.disposals]);
  }

  private async route(
    req: IncomingMessage,
    context: RequestContext,
  ): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const authorization = req.headers.authorization;
    if (!authorization) {
      throw new ArmError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        {
          'WWW-Authenticate':
            'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
        },
      );
    }
    if (!/^Bearer\s+\S+/i.test(authorization)) {
      throw new ArmError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      );
    }
    const url = new URL(req.url ?? '/', 'https://localhost');
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) {
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion)) {
      throw new ArmError(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${apiVersion}' is invalid. The supported versions are dates such as '2023-05-01'.`,
      );
    }
    const route = matchArmRoute(url.pathname);
    const method = (req.method ?? 'GET').toUpperCase();
    if (!route) {
      throw new ArmError(
        404,
        'NotFound',
        `The path '${url.pathname}' is not part of the Microsoft.ContainerInstance API the emulator serves.`,
      );
    }
    if (route.usages) {
      if (method !== 'GET') throw this.methodNotAllowed(method, url.pathname);
      const { subscriptionId } = route;
      const location = route.usages.location;
      return {
        status: 200,
        body: { value: this.quota.usages(subscriptionId, location, this.usage(subscriptionId, location)) },
      };
    }
    if (route.operation) {
      if (method !== 'GET') throw this.methodNotAllowed(method, url.pathname);
      return this.getOperation(route.operation.id);
    }
    const { subscriptionId, resourceGroup, name } = route;
    if (resourceGroup === undefined) {
      if (method !== 'GET') throw this.methodNotAllowed(method, url.pathname);
      return { status: 200, body: { value: this.list(subscriptionId).map((e) => this.render(e)) } };
    }
    if (name === undefined) {
      if (method !== 'GET') throw this.methodNotAllowed(method, url.pathname);
      return {
        status: 200,
        body: { value: this.list(subscriptionId, resourceGroup).map((e) => this.render(e)) },
      };
    }
    const key = groupKey(subscriptionId, resourceGroup, name);
    if (route.containerName !== undefined) {
      if (method !== 'GET') throw this.methodNotAllowed(method, url.pathname);
      this.rateFault('logs', context, subscriptionId);
      const entry = this.find(key, resourceGroup, name);
      this.injectFault(entry, 'logs', false);
      const tailParam = url.searchParams.get('tail');
      let tail: number | undefined;
      if (tailParam !== null) {
        tail = Number(tailParam);
        if (!Number.isInteger(tail) || tail < 0)
          throw invalidRequest(
            `The query parameter 'tail' must be a non-negative integer, got '${tailParam}'.`,
            'tail',
          );
      }
      const content = entry.runtime.logs(route.containerName, tail);
      if (content === undefined) {
        throw new ArmError(
          404,
          'ContainerNotFound',
          `The container '${route.containerName}' is not found in container group '${name}' under resource group '${resourceGroup}'.`,
        );
      }
      return { status: 200, body: { content } };
    }
    if (route.action) {
      if (method !== 'POST') throw this.methodNotAllowed(method, url.pathname);
      if (route.action === 'stop') this.rateFault('stop', context, subscriptionId);
      const entry = this.find(key, resourceGroup, name);
      return this.act(entry, route.action, req, apiVersion);
    }
    switch (method) {
      case 'GET': {
        this.rateFault('get', context, subscriptionId);
        const entry = this.find(key, resourceGroup, name);
        this.injectFault(entry, 'get', false);
        return { status: 200, body: this.render(entry) };
      }
      case 'PUT':
        return this.createOrUpdate(req, context, subscriptionId, resourceGroup, name, apiVersion);
      case 'PATCH':
        return this.updateTags(req, this.find(key, resourceGroup, name));
      case 'DELETE': {
        this.rateFault('delete', context, subscriptionId);
        const entry = this.groups.get(key);
        if (!entry) return { status: 204 };
        this.injectFault(entry, 'delete', true);
        this.groups.delete(key);
        this.faults.forget(key);
        const body = this.render(entry);
        // On disk before the answer: a kill right after it must not bring the group back.
        this.saveNow();
        const disposal = entry.runtime.dispose().finally(() => this.disposals.delete(disposal));
        this.disposals.add(disposal);
        this.options.log(`deleted container group ${resourceGroup}/${name}`);
        return { status: 200, body };
      }
      default:
        throw this.methodNotAllowed(method, url.pathname);
    }
  }

  /** What exists in (subscription, region) now: a deleted group stops counting at once. */
  private usage(subscriptionId: string, location: string): RegionUsage {
    const region = normalizeLocation(location);
    const usage: RegionUsage = { containerGroups: 0, cores: 0 };
    for (const entry of this.groups.values()) {
      const spec = entry.runtime.spec;
      if (entry.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) continue;
      if (normalizeLocation(spec.location) !== region) continue;
      usage.containerGroups += 1;
      usage.cores += spec.containers.reduce((sum, c) => sum + c.cpu, 0);
    }
    return usage;
  }

  /** Applies a rate fault (`--faults`) to this call: throws its error, or marks the answer as lost. */
  private rateFault(
    operation: FaultOperation,
    context: RequestContext,
    subscriptionId: string,
    spec?: ContainerGroupSpec,
  ): void {
    if (!this.rateFaults) return;
    const ctx: FaultContext = spec
      ? this.faultContext(subscriptionId, spec, operation !== 'get' && operation !== 'logs')
      : {
          subscriptionId,
          location: '',
          cpu: 0,
          memoryInGB: 0,
          write: operation !== 'get' && operation !== 'logs',
        };
    const decision = this.rateFaults.decide(operation, ctx);
    if (!decision) return;
    this.options.log(
      `injected fault on ${operation}: ${decision.kind === 'error' ? decision.error.code : decision.kind}`,
    );
    if (decision.kind === 'error') throw decision.error;
    if (decision.kind === 'reset') throw new DropConnection();
    context.lostAs = decision.as;
  }

  private methodNotAllowed(method: string, pathname: string): ArmError {
    return new ArmError(
      405,
      'MethodNotAllowed',
      `The HTTP method '${method}' is not supported for '${pathname}'.`,
    );
  }

  private list(subscriptionId: string, resourceGroup?: string): GroupEntry[] {
    return [...this.groups.values()].filter(
      (e) =>
        e.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
        (resourceGroup === undefined || e.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()),
    );
  }

  private find(key: string, resourceGroup: string, name: string): GroupEntry {
    const entry = this.groups.get(key);
    if (!entry) throw resourceNotFound(resourceGroup, RESOURCE_TYPE, name);
    return entry;
  }

  private faultContext(
    subscriptionId: string,
    spec: GroupEntry['runtime']['spec'],
    write: boolean,
  ): FaultContext {
    return {
      subscriptionId,
      location: spec.location,
      cpu: spec.containers.reduce((sum, c) => sum + c.cpu, 0),
      memoryInGB: spec.containers.reduce((sum, c) => sum + c.memoryInGB, 0),
      write,
    };
  }

  private injectFault(entry: GroupEntry, operation: FaultOperation, write: boolean): void {
    const spec = entry.runtime.spec;
    const key = groupKey(entry.subscriptionId, entry.resourceGroup, entry.name);
    const fault = this.faults.check(
      key,
      spec.tags[FAULT_TAG],
      operation,
      this.faultContext(entry.subscriptionId, spec, write),
    );
    if (fault) throw fault;
  }

  private async parseJson(req: IncomingMessage): Promise<unknown> {
    const text = await readBody(req);
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw invalidRequest(
        `The request content was invalid and could not be deserialized: ${(err as Error).message}`,
      );
    }
  }

  private asyncOperationHeaders(
    req: IncomingMessage,
    op: Operation,
    apiVersion: string,
  ): Record<string, string> {
    const host = req.headers.host ?? 'localhost';
    const url = `https://${host}/subscriptions/${encodeURIComponent(op.subscriptionId)}/providers/Microsoft.ContainerInstance/locations/${encodeURIComponent(op.location)}/operations/${op.id}?api-version=${apiVersion}`;
    return { 'Azure-AsyncOperation': url };
  }

  private newOperation(entry: GroupEntry): Operation {
    const op: Operation = {
      id: randomUUID(),
      subscriptionId: entry.subscriptionId,
      location: entry.runtime.spec.location,
      groupKey: groupKey(entry.subscriptionId, entry.resourceGroup, entry.name),
      runtime: entry.runtime,
      startTime: new Date().toISOString(),
    };
    this.operations.set(op.id, op);
    return op;
  }

  private async createOrUpdate(
    req: IncomingMessage,
    context: RequestContext,
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    apiVersion: string,
  ): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    validateContainerGroupName(name);
    const spec = validateContainerGroup(await this.parseJson(req));
    validateProcessLimits(spec);
    this.rateFault('create', context, subscriptionId, spec);
    const faultTag = spec.tags[FAULT_TAG];
    if (faultTag) parseFaultTag(faultTag);
    const key = groupKey(subscriptionId, resourceGroup, name);
    const fault = this.faults.check(key, faultTag, 'create', this.faultContext(subscriptionId, spec, true));
    if (fault) throw fault;
    if (this.options.unavailableLocations.includes(spec.location)) {
      throw capacityError(this.faultContext(subscriptionId, spec, true));
    }
    const existing = this.groups.get(key);
    if (existing) {
      // Re-PUT of an existing group: tags are updated, running containers are left alone (see README).
      existing.runtime.spec = { ...existing.runtime.spec, tags: spec.tags };
      this.scheduleSave();
      return { status: 200, body: this.render(existing) };
    }
    if (this.closed) throw new ArmError(503, 'ServiceUnavailable', 'The ACI emulator is shutting down.');
    const cores = spec.containers.reduce((sum, c) => sum + c.cpu, 0);
    this.quota.admitCreate(subscriptionId, spec.location, this.usage(subscriptionId, spec.location), cores);
    const entry = this.newEntry(subscriptionId, resourceGroup, name, spec);
    this.groups.set(key, entry);
    const op = this.newOperation(entry);
    const body = this.render(entry);
    // On disk BEFORE its containers start and before the answer: an emulator killed right after its 201 (or
    // during the start) finds the group again on restart, and each container's process through the record
    // its supervisor leaves (containerSupervisor.ts): the same run is re-attached, not lost nor run twice.
    // The answer shows the group as ACI does (Creating); the containers are already starting.
    this.saveNow();
    this.deploy(entry);
    this.options.log(
      `creating container group ${resourceGroup}/${name} in ${spec.location} (${spec.containers.length} container(s))`,
    );
    return { status: 201, body, headers: this.asyncOperationHeaders(req, op, apiVersion) };
  }

  private deploy(entry: GroupEntry): void {
    if (this.groups.get(groupKey(entry.subscriptionId, entry.resourceGroup, entry.name)) !== entry) return;
    try {
      fs.mkdirSync(this.options.workDir, { recursive: true });
      entry.runtime.start();
    } catch (err) {
      entry.runtime.provisioningState = 'Failed';
      entry.runtime.failure = {
        code: 'DeploymentFailed',
        message: `The ACI emulator could not start the group: ${(err as Error).message}`,
      };
      this.options.log(`${entry.resourceGroup}/${entry.name}: deployment failed: ${(err as Error).message}`);
    }
  }

  private async updateTags(
    req: IncomingMessage,
    entry: GroupEntry,
  ): Promise<{ status: number; body: unknown }> {
    const body = await this.parseJson(req);
    const tags = (body as { tags?: unknown } | null)?.tags;
    if (tags !== undefined && (typeof tags !== 'object' || tags === null || Array.isArray(tags))) {
      throw invalidRequest(`The request content was invalid: 'tags' must be an object.`, 'tags');
    }
    if (tags) {
      const next: Record<string, string> = {};
      for (const [k, v] of Object.entries(tags)) {
        if (typeof v !== 'string')
          throw invalidRequest(`The request content was invalid: tag '${k}' must be a string.`, 'tags');
        next[k] = v;
      }
      entry.runtime.spec = { ...entry.runtime.spec, tags: next };
      this.scheduleSave();
    }
    return { status: 200, body: this.render(entry) };
  }

  private async act(
    entry: GroupEntry,
    action: 'stop' | 'start' | 'restart',
    req: IncomingMessage,
    apiVersion: string,
  ): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    if (action === 'stop') {
      this.injectFault(entry, 'stop', true);
      await entry.runtime.stop();
      this.options.log(`stopped container group ${entry.resourceGroup}/${entry.name}`);
      return { status: 204 };
    }
    if (entry.runtime.restoredWithoutSecrets) {
      throw new ArmError(
        409,
        'ContainerGroupNotRestartable',
        `The container group '${entry.name}' was restored from the ACI emulator's state dir, which never holds secure values or secret volume contents; delete and re-create it to run it again.`,
      );
    }
    await entry.runtime.stop();
    if (action === 'restart') {
      this.deploy(entry);
      return { status: 204 };
    }
    const op = this.newOperation(entry);
    entry.runtime.provisioningState = 'Creating';
    setImmediate(() => this.deploy(entry));
    return { status: 202, headers: this.asyncOperationHeaders(req, op, apiVersion) };
  }

  private async getOperation(
    id: string,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const op = this.operations.get(id);
    if (!op) throw new ArmError(404, 'OperationNotFound', `The operation '${id}' was not found.`);
    const deadline = Date.now() + OPERATION_LONG_POLL_MS;
    while (
      op.runtime.provisioningState === 'Creating' &&
      this.groups.get(op.groupKey) === this.entryOf(op) &&
      Date.now() < deadline
    ) {
      await delay(10);
    }
    const gone = this.groups.get(op.groupKey)?.runtime !== op.runtime;
    const state = gone
      ? 'Canceled'
      : op.runtime.provisioningState === 'Creating'
        ? 'InProgress'
        : op.runtime.provisioningState;
    if (state !== 'InProgress' && !op.endTime) op.endTime = new Date().toISOString();
    const body = {
      id: `/subscriptions/${op.subscriptionId}/providers/Microsoft.ContainerInstance/locations/${op.location}/operations/${op.id}`,
      name: op.id,
      status: state,
      startTime: op.startTime,
      ...(op.endTime ? { endTime: op.endTime } : {}),
      ...(state === 'Failed'
        ? { error: op.runtime.failure ?? { code: 'Failed', message: 'The deployment failed.' } }
        : {}),
      ...(state === 'Canceled'
        ? { error: { code: 'Canceled', message: 'The container group was deleted during the operation.' } }
        : {}),
    };
    return { status: 200, body, ...(state === 'InProgress' ? { headers: { 'Retry-After': '1' } } : {}) };
  }

  private entryOf(op: Operation): GroupEntry | undefined {
    const entry = this.groups.get(op.groupKey);
    return entry?.runtime === op.runtime ? entry : undefined;
  }

  /** The resource as ARM returns it: secure values and secret volume contents are never echoed. */
  private render(entry: GroupEntry): unknown {
    const { runtime } = entry;
    const spec = runtime.spec;
    return {
      id: `/subscriptions/${entry.subscriptionId}/resourceGroups/${entry.resourceGroup}/providers/${RESOURCE_TYPE}/${entry.name}`,
      name: entry.name,
      type: RESOURCE_TYPE,
      location: spec.location,
      tags: spec.tags,
      ...(spec.identity !== undefined ? { identity: spec.identity } : {}),
      properties: {
        sku: spec.sku,
        provisioningState: runtime.provisioningState,
        containers: runtime.containers.map((c) => ({
          name: c.spec.name,
          properties: {
            image: c.spec.image,
            ...(c.spec.command ? { command: c.spec.command } : {}),
            ports: c.spec.ports,
            environmentVariables: c.spec.environmentVariables.map((v) =>
              v.secureValue !== undefined ? { name: v.name } : { name: v.name, value: v.value ?? '' },
            ),
            resources: { requests: { cpu: c.spec.cpu, memoryInGB: c.spec.memoryInGB } },
            volumeMounts: c.spec.volumeMounts,
            ...(c.currentState
              ? {
                  instanceView: {
                    restartCount: c.restartCount,
                    currentState: c.currentState,
                    ...(c.previousState ? { previousState: c.previousState } : {}),
                    events: c.events,
                  },
                }
              : {}),
          },
        })),
        initContainers: [],
        imageRegistryCredentials: spec.imageRegistryCredentials,
        restartPolicy: spec.restartPolicy,
        osType: spec.osType,
        volumes: spec.volumes.map((v) =>
          v.secret ? { name: v.name, secret: {} } : { name: v.name, emptyDir: {} },
        ),
        instanceView: { events: [], state: runtime.groupState() },
      },
    };
  }
}
