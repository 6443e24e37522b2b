import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve, sep } from 'node:path';
import { InvocationContext, type FunctionOutput, type HttpRequest, type LogLevel } from '@azure/functions';
import { RetryMode, ServiceBusClient } from '@azure/service-bus';
import { createRegistry, loadApp, type FunctionRegistration } from '../registrations/captureRegistrations';
import { findAppFiles } from './appFiles';
import {
  applyAppSettings,
  resolveBindingExpression,
  resolveServiceBusConnection,
  type AppSettings,
} from './appSettings';
import { readHostJson, type HostJson } from './hostJson';
import { consoleLogSink, formatLogArgs, type HostLogSink } from './hostLog';
import {
  startHttpTriggerServer,
  type HttpFunctionBinding,
  type HttpTriggerServer,
} from './httpTriggerServer';
import { serviceBusModelBindingSource, type ServiceBusModelBindingData } from './serviceBusMessageData';
import {
  InvocationFailedError,
  startServiceBusTrigger,
  type ServiceBusEntity,
  type ServiceBusTriggerListener,
} from './serviceBusTrigger';
import {
  HeldMessages,
  pinnedSettlementPort,
  setSettlementArgv,
  startSettlementServer,
  type SettlementServer,
} from './settlementServer';
import { parseTimerSchedule } from './timerSchedule';
import { createWorkerResourceFactory } from './workerResourceFactory';

/**
 * The trigger's reconnect policy: that of the real host's Service Bus extension (.NET ServiceBusRetryOptions
 * defaults: exponential from 0.8 s, at most 60 s apart). The JS SDK's default is a fixed 30 s wait, so after a
 * restart of the Service Bus emulator (dispatcher dev --state restarts a dead one) the local host took
 * ~30 s to take messages again.
 */
const hostTriggerRetryOptions = {
  mode: RetryMode.Exponential,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 60_000,
};

/** What the host needs from a Durable engine: run the app's durable functions, hand out client data. */
export interface DurableHostBinding {
  /** Called once with every orchestration / activity / entity registration, before triggers open. */
  register(registrations: FunctionRegistration[], log: HostLogSink): void | Promise<void>;
  /** The value a `durableClient` input binding receives (what df.getClient(context) reads). */
  clientBindingData(): unknown;
  /** The extension's webhooks, mounted on the host's port as in Azure; true when the request was handled. */
  handleHttpRequest?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export interface FunctionsHostOptions {
  /** Folder holding package.json (whose `main` names the built files) and host.json. */
  appRoot: string;
  /** The built files to load; default: package.json `main` expanded under appRoot. */
  files?: string[];
  /** App settings (local.settings.json `Values`), copied into process.env BEFORE the app loads. */
  settings: AppSettings;
  /** HTTP port; default 7071, 0 for a free one. */
  httpPort?: number;
  durable?: DurableHostBinding;
  /** Parsed host.json; default: appRoot/host.json. */
  hostJson?: HostJson;
  log?: HostLogSink;
  /** Minimum level of function logs passed to `log` (host.json logLevel in spirit); default information. */
  logLevel?: LogLevel;
}

export interface FunctionsHost {
  /** `http://localhost:<port>/api` */
  readonly httpBaseUrl: string;
  readonly httpPort: number;
  readonly registrations: readonly FunctionRegistration[];
  /** Stops triggers (waiting for running Service Bus invocations), HTTP and timers; restores process.env. */
  close(): Promise<void>;
}

const durableTriggerTypes = new Set(['orchestrationTrigger', 'activityTrigger', 'entityTrigger']);

function appModulePrefixes(appRoot: string, files: string[]): string[] {
  // Everything the app's entry folders and its siblings (dist/shared) compiled to, but never the devhost.
  const roots = new Set(files.map((f) => resolve(f, '..', '..')));
  return [...roots].map((r) => r + sep).concat(resolve(appRoot, 'dist') + sep);
}

/** Drops the app's modules from Node's require cache so a host restart in one process reloads them fresh. */
function forgetAppModules(prefixes: string[]): void {
  const devhost = `${sep}devhost${sep}`;
  for (const key of Object.keys(require.cache)) {
    if (prefixes.some((p) => key.startsWith(p)) && !key.includes(devhost)) delete require.cache[key];
  }
}

/**
 * A local stand-in for the Azure Functions host + Node worker: loads the built app with registration capture,
 * then binds Service Bus triggers to a broker (peek-lock), HTTP triggers to a local port, timers, the durable
 * client input, and hands orchestrations/activities/entities to a Durable engine.
 */
export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const appRoot = resolve(options.appRoot);
  const log = options.log ?? consoleLogSink();
  const hostJson = options.hostJson ?? readHostJson(join(appRoot, 'host.json'));
  const files = options.files ?? findAppFiles(appRoot);
  const settings = options.settings;
  const restoreEnv = applyAppSettings(settings);
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        log({ level: 'warning', message: `shutdown: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
    restoreEnv();
  };

  try {
    const sdkBound = new HeldMessages();
    forgetAppModules(appModulePrefixes(appRoot, files));
    const registry = createRegistry();
    loadApp(files, registry);
    // First in, so it runs last: the app's connections close after every trigger has stopped.
    closers.push(() => registry.runTerminateHooks());
    const registrations = registry.list();
    log({
      level: 'information',
      message: `Loaded ${registrations.length} functions from ${files.length} files`,
    });

    const invoke = async (
      registration: FunctionRegistration,
      input: unknown,
      triggerMetadata: Record<string, unknown> | undefined,
      reason: string,
    ): Promise<{ result: unknown; context: InvocationContext }> => {
      const invocationId = randomUUID();
      const functionName = registration.name;
      const context = new InvocationContext({
        invocationId,
        functionName,
        triggerMetadata,
        options: {
          trigger: registration.trigger,
          return: registration.return,
          extraInputs: registration.extraInputs,
          extraOutputs: registration.extraOutputs,
        },
        logHandler: (level, ...args) =>
          log({ level, functionName, invocationId, message: formatLogArgs(args) }),
      });
      for (const extra of registration.extraInputs) {
        if (extra.type === 'durableClient' || extra.type === 'orchestrationClient') {
          if (!options.durable)
            throw new Error(`${functionName}: a durable client input needs a Durable engine`);
          context.extraInputs.set(extra, options.durable.clientBindingData());
        }
      }
      const started = Date.now();
      log({
        level: 'debug',
        functionName,
        invocationId,
        message: `Executing (Reason='${reason}', Id=${invocationId})`,
      });
      try {
        const result: unknown = await registration.handler(input, context);
        log({
          level: 'debug',
          functionName,
          invocationId,
          message: `Executed (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`,
        });
        return { result, context };
      } catch (err) {
        // A function may mark a failure as expected (`expected: true` on the error, e.g. the classic trigger
        // rejecting a marked dead-letter copy until Service Bus dead-letters it): it already said why once, so
        // the repeated deliveries stay out of the default log.
        const expected = (err as { expected?: unknown } | null)?.expected === true;
        log({
          level: expected ? 'debug' : 'error',
          functionName,
          invocationId,
          message: `Executed (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${
            err instanceof Error ? (err.stack ?? err.message) : String(err)
          }`,
        });
        throw err;
      }
    };

    // Service Bus output bindings: sent after the function succeeded, as the host does.
    const outputClients = new Map<string, ServiceBusClient>();
    const clientFor = (connection: string, where: string): ServiceBusClient => {
      const connectionString = resolveServiceBusConnection(connection, settings, where);
      let client = outputClients.get(connectionString);
      if (!client) {
        client = new ServiceBusClient(connectionString);
        outputClients.set(connectionString, client);
      }
      return client;
    };
    closers.push(async () => {
      for (const client of outputClients.values()) await client.close();
    });
    const sendOutputs = async (
      registration: FunctionRegistration,
      context: InvocationContext,
      result: unknown,
    ): Promise<void> => {
      const outputs: Array<{ binding: FunctionOutput; value: unknown }> = registration.extraOutputs.map(
        (binding) => ({
          binding,
          value: context.extraOutputs.get(binding),
        }),
      );
      if (registration.return) outputs.push({ binding: registration.return, value: result });
      for (const { binding, value } of outputs) {
        if (binding.type !== 'serviceBus' || value === undefined) continue;
        const where = `${registration.name}: output ${binding.name}`;
        const entity = resolveBindingExpression(
          stringOption(binding.queueName ?? binding.topicName),
          settings,
          where,
        );
        const sender = clientFor(String(binding.connection), where).createSender(entity);
        try {
          const values = Array.isArray(value) ? value : [value];
          await sender.sendMessages(
            values.map((body: unknown) => ({
              body,
              contentType: typeof body === 'string' ? 'text/plain' : 'application/json',
            })),
          );
        } finally {
          await sender.close();
        }
      }
    };

    // Durable functions go to the engine.
    const durableRegistrations = registrations.filter((r) => durableTriggerTypes.has(r.triggerType));
    if (durableRegistrations.length > 0) {
      if (!options.durable) {
        throw new Error(
          `the app registers durable functions (${durableRegistrations.map((r) => r.name).join(', ')}) but no Durable engine was given`,
        );
      }
      await options.durable.register(durableRegistrations, log);
    }

    // Service Bus triggers.
    const serviceBusRegistrations = registrations.filter((r) => r.triggerType === 'serviceBusTrigger');
    let settlement: SettlementServer | undefined;
    if (serviceBusRegistrations.some((r) => r.trigger.sdkBinding === true)) {
      settlement = await startSettlementServer(sdkBound, pinnedSettlementPort() ?? 0);
      setSettlementArgv(settlement.port);
      const server = settlement;
      closers.push(() => server.close());
    }
    const triggerClients = new Map<string, ServiceBusClient>();
    closers.push(async () => {
      for (const client of triggerClients.values()) await client.close();
    });
    const listeners: ServiceBusTriggerListener[] = [];
    closers.push(async () => {
      await Promise.all(listeners.map((l) => l.close()));
    });
    const createResource = createWorkerResourceFactory(appRoot);
    for (const registration of serviceBusRegistrations) {
      const where = `Functions.${registration.name}`;
      const t = registration.trigger;
      if (t.isSessionsEnabled === true)
        throw new Error(`${where}: session-enabled triggers are not supported by the local host`);
      if (t.cardinality === 'many')
        throw new Error(`${where}: cardinality 'many' (batches) is not supported by the local host`);
      const connectionString = resolveServiceBusConnection(stringOption(t.connection), settings, where);
      let client = triggerClients.get(connectionString);
      if (!client) {
        client = new ServiceBusClient(connectionString, { retryOptions: hostTriggerRetryOptions });
        triggerClients.set(connectionString, client);
      }
      let entity: ServiceBusEntity;
      if (typeof t.queueName === 'string') {
        entity = { queueName: resolveBindingExpression(t.queueName, settings, where) };
      } else if (typeof t.topicName === 'string' && typeof t.subscriptionName === 'string') {
        entity = {
          topicName: resolveBindingExpression(t.topicName, settings, where),
          subscriptionName: resolveBindingExpression(t.subscriptionName, settings, where),
        };
      } else {
        throw new Error(`${where}: a Service Bus trigger needs queueName, or topicName and subscriptionName`);
      }
      const sdkBinding = t.sdkBinding === true;
      const sb = hostJson.serviceBus;
      listeners.push(
        startServiceBusTrigger({
          functionName: registration.name,
          client,
          entity,
          maxConcurrentCalls: sb.maxConcurrentCalls,
          maxAutoLockRenewalDurationMs: sb.maxAutoLockRenewalDurationMs,
          autoCompleteMessages:
            typeof t.autoCompleteMessages === 'boolean' ? t.autoCompleteMessages : sb.autoCompleteMessages,
          sdkBinding,
          dataType: t.dataType,
          held: sdkBound,
          createSdkInput: (data: ServiceBusModelBindingData) =>
            createResource(serviceBusModelBindingSource, data),
          invoke: async (input, metadata) => {
            let outcome: { result: unknown; context: InvocationContext };
            try {
              outcome = await invoke(
                registration,
                input,
                metadata,
                `New ServiceBus message detected on '${listenersName(entity)}'.`,
              );
            } catch (err) {
              throw new InvocationFailedError(err);
            }
            await sendOutputs(registration, outcome.context, outcome.result);
          },
          log,
        }),
      );
      log({
        level: 'information',
        message: `${registration.name}: serviceBusTrigger on ${listenersName(entity)}${sdkBinding ? ' (sdkBinding)' : ''}`,
      });
    }

    // Timers.
    const timers: NodeJS.Timeout[] = [];
    let stopped = false;
    closers.push(() => {
      stopped = true;
      timers.forEach((t) => clearTimeout(t));
      return Promise.resolve();
    });
    for (const registration of registrations.filter((r) => r.triggerType === 'timerTrigger')) {
      const where = `Functions.${registration.name}`;
      const schedule = parseTimerSchedule(
        resolveBindingExpression(stringOption(registration.trigger.schedule), settings, where),
      );
      let last = new Date();
      const fire = (isPastDue: boolean): void => {
        const now = new Date();
        const next = schedule.next(now);
        const timer = {
          isPastDue,
          schedule: { adjustForDST: false },
          scheduleStatus: {
            last: last.toISOString(),
            next: next.toISOString(),
            lastUpdated: now.toISOString(),
          },
        };
        last = now;
        invoke(registration, timer, undefined, 'Timer fired').catch(() => undefined);
      };
      const arm = (): void => {
        if (stopped) return;
        const due = schedule.next(new Date()).getTime();
        // setTimeout caps at ~24.8 days; waking early just re-arms.
        const handle = setTimeout(
          () => {
            if (Date.now() >= due - 5) fire(false);
            arm();
          },
          Math.min(Math.max(0, due - Date.now()), 2 ** 31 - 1),
        );
        handle.unref();
        timers.push(handle);
      };
      if (registration.trigger.runOnStartup === true) fire(false);
      arm();
      log({
        level: 'information',
        message: `${registration.name}: timerTrigger ${String(registration.trigger.schedule)}`,
      });
    }

    // HTTP.
    const httpBindings: HttpFunctionBinding[] = registrations
      .filter((r) => r.triggerType === 'httpTrigger')
      .map((registration) => {
        const methods = Array.isArray(registration.trigger.methods)
          ? (registration.trigger.methods as string[]).map((m) => m.toUpperCase())
          : ['GET', 'POST'];
        const route =
          typeof registration.trigger.route === 'string' ? registration.trigger.route : registration.name;
        return {
          functionName: registration.name,
          methods,
          route: resolveBindingExpression(route, settings, `Functions.${registration.name}`),
          invoke: async (request: HttpRequest) => {
            const { result, context } = await invoke(
              registration,
              request,
              undefined,
              'This function was programmatically called via the host APIs.',
            );
            await sendOutputs(registration, context, result);
            return result;
          },
        };
      });
    let ready = false;
    const http: HttpTriggerServer = await startHttpTriggerServer({
      port: options.httpPort ?? 7071,
      functions: httpBindings,
      log,
      // The app's dashboard, when it has one, answers at the site root (the real host shows its own page there).
      ...(httpBindings.some((b) => /^dashboard(\/|$)/i.test(b.route)) ? { homepage: 'dashboard/' } : {}),
      isReady: () => ready,
      builtIn: options.durable?.handleHttpRequest
        ? (req, res) => options.durable?.handleHttpRequest?.(req, res) ?? Promise.resolve(false)
        : undefined,
    });
    closers.push(() => http.close());
    for (const binding of httpBindings) {
      log({
        level: 'information',
        message: `${binding.functionName}: [${binding.methods.join(',')}] ${http.baseUrl}/${binding.route}`,
      });
    }
    for (const registration of registrations) {
      const known = ['httpTrigger', 'serviceBusTrigger', 'timerTrigger', ...durableTriggerTypes];
      if (!known.includes(registration.triggerType)) {
        log({
          level: 'warning',
          message: `${registration.name}: ${registration.triggerType} is not supported by the local host; not bound`,
        });
      }
      if (registration.retry && registration.triggerType !== 'timerTrigger') {
        log({
          level: 'warning',
          message: `${registration.name}: retry policies are not applied by the local host`,
        });
      }
    }
    ready = true;

    let closed: Promise<void> | undefined;
    return {
      httpBaseUrl: http.baseUrl,
      httpPort: http.port,
      registrations,
      close: () => (closed ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Binding options are typed `unknown` in the generic trigger shape; only strings are meaningful here. */
function stringOption(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function listenersName(entity: ServiceBusEntity): string {
  return 'queueName' in entity ? entity.queueName : `${entity.topicName}/${entity.subscriptionName}`;
}
