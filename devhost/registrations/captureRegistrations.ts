import * as functions from '@azure/functions';
import type {
  FunctionHandler,
  FunctionInput,
  FunctionOutput,
  FunctionTrigger,
  GenericFunctionOptions,
  RetryOptions,
} from '@azure/functions';
import * as path from 'node:path';

/** One function the app registered through `app.*` of `@azure/functions`. */
export interface FunctionRegistration {
  /** Function name as given to `app.*` (unique within the app). */
  readonly name: string;
  /** The `app.*` method the app called: `http`, `get`, `serviceBusQueue`, `generic`, ... */
  readonly registeredVia: string;
  /** `trigger.type`: `httpTrigger`, `serviceBusTrigger`, `timerTrigger`, `orchestrationTrigger`, `activityTrigger`, ... */
  readonly triggerType: string;
  /** The full trigger binding (type, name and the trigger options such as queueName, connection, schedule, methods, route). */
  readonly trigger: FunctionTrigger;
  /** The handler exactly as `@azure/functions` would hand it to the host. */
  readonly handler: FunctionHandler;
  readonly extraInputs: FunctionInput[];
  readonly extraOutputs: FunctionOutput[];
  /** Return binding (`output.http` for HTTP functions). */
  readonly return?: FunctionOutput;
  readonly retry?: RetryOptions;
  /** The generic options the registration was converted to (what `app.generic` receives). */
  readonly options: GenericFunctionOptions;
  /** Order of registration, for stable listings. */
  readonly order: number;
}

/** Every registration seen while capture was installed. */
export class FunctionRegistry {
  private readonly byName = new Map<string, FunctionRegistration>();

  add(registration: Omit<FunctionRegistration, 'order'>): FunctionRegistration {
    const key = registration.name.toLowerCase();
    if (this.byName.has(key)) {
      // The Functions host refuses duplicate names (case-insensitively) at start-up.
      throw new Error(
        `A function named '${registration.name}' is already registered (${this.byName.get(key)?.triggerType}); function names must be unique (case-insensitive).`,
      );
    }
    const full: FunctionRegistration = { ...registration, order: this.byName.size };
    this.byName.set(key, full);
    return full;
  }

  get(name: string): FunctionRegistration | undefined {
    return this.byName.get(name.toLowerCase());
  }

  list(): FunctionRegistration[] {
    return [...this.byName.values()].sort((a, b) => a.order - b.order);
  }

  byTriggerType(triggerType: string): FunctionRegistration[] {
    return this.list().filter((r) => r.triggerType === triggerType);
  }

  get size(): number {
    return this.byName.size;
  }

  /** `app.hook.appTerminate` handlers, in registration order. */
  readonly terminateHooks: Array<(context: functions.AppTerminateContext) => unknown> = [];

  /** Runs the app-terminate hooks as the host does at shutdown (each awaited; a failure does not stop the rest). */
  async runTerminateHooks(): Promise<void> {
    const results = await Promise.allSettled(
      this.terminateHooks.map((hook) =>
        Promise.resolve().then(() => hook(new functions.AppTerminateContext())),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

export function createRegistry(): FunctionRegistry {
  return new FunctionRegistry();
}

type TriggerBuilder = (options: Record<string, unknown>) => FunctionTrigger;
type AppModule = Record<string, unknown>;

// app method -> trigger builder of the same name in `@azure/functions`' `trigger` namespace.
const TRIGGER_METHODS = [
  'http',
  'timer',
  'storageBlob',
  'storageQueue',
  'serviceBusQueue',
  'serviceBusTopic',
  'eventHub',
  'eventGrid',
  'connectorTrigger',
  'cosmosDB',
  'warmup',
  'sql',
  'mySql',
  'webPubSub',
  'mcpTool',
  'mcpResource',
  'mcpPrompt',
] as const;

const HTTP_SHORTCUTS: Record<string, string> = {
  get: 'GET',
  put: 'PUT',
  post: 'POST',
  patch: 'PATCH',
  deleteRequest: 'DELETE',
};

let activeCapture: FunctionRegistry | undefined;

function where(name: unknown, method: string): string {
  return `app.${method}(${typeof name === 'string' ? `'${name}'` : String(name)})`;
}

function requireName(name: unknown, method: string): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new TypeError(`${where(name, method)}: the function name must be a non-empty string.`);
  }
  return name;
}

function requireOptions(options: unknown, name: string, method: string): Record<string, unknown> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where(name, method)}: expected an options object, got ${typeof options}.`);
  }
  return options as Record<string, unknown>;
}

function record(
  registry: FunctionRegistry,
  name: string,
  method: string,
  options: GenericFunctionOptions,
): void {
  if (typeof options.handler !== 'function') {
    throw new TypeError(`${where(name, method)}: options.handler must be a function.`);
  }
  const trigger = options.trigger as FunctionTrigger | undefined;
  if (!trigger || typeof trigger.type !== 'string') {
    throw new TypeError(`${where(name, method)}: options.trigger must be a trigger binding with a 'type'.`);
  }
  registry.add({
    name,
    registeredVia: method,
    triggerType: trigger.type,
    trigger,
    handler: options.handler,
    extraInputs: options.extraInputs ?? [],
    extraOutputs: options.extraOutputs ?? [],
    return: options.return,
    retry: options.retry,
    options,
  });
}

// Mirrors convertToGenericOptions of @azure/functions: everything that is not a
// well-known function option is a trigger option.
function toGenericOptions(
  options: Record<string, unknown>,
  triggerBuilder: TriggerBuilder,
): GenericFunctionOptions {
  const { handler, return: ret, trigger, extraInputs, extraOutputs, retry, ...triggerOptions } = options;
  return {
    trigger: (trigger as FunctionTrigger | undefined) ?? triggerBuilder(triggerOptions),
    return: ret as FunctionOutput | undefined,
    retry: retry as RetryOptions | undefined,
    extraInputs: extraInputs as FunctionInput[] | undefined,
    extraOutputs: extraOutputs as FunctionOutput[] | undefined,
    handler: handler as FunctionHandler,
  };
}

/**
 * Replaces the registration functions of `@azure/functions`' `app` export so
 * that every `app.*` call (and so `df.app.orchestration/activity/entity`,
 * which call `app.generic`) lands in `registry`. Call it BEFORE the app's
 * modules are loaded. Returns a function that restores the originals.
 */
export function installRegistrationCapture(registry: FunctionRegistry): () => void {
  if (activeCapture) {
    throw new Error('Registration capture is already installed; uninstall the previous capture first.');
  }
  const app = functions.app as unknown as AppModule;
  const triggers = functions.trigger as unknown as Record<string, TriggerBuilder | undefined>;
  const output = functions.output;
  const originals = new Map<string, unknown>();

  const patch = (method: string, replacement: (...args: unknown[]) => void): void => {
    const descriptor = Object.getOwnPropertyDescriptor(app, method);
    if (!descriptor) {
      return;
    }
    if (!descriptor.writable && !descriptor.set) {
      throw new Error(`@azure/functions: app.${method} is not writable; cannot capture registrations.`);
    }
    originals.set(method, app[method]);
    app[method] = replacement;
  };

  patch('generic', (name: unknown, options: unknown) => {
    const fnName = requireName(name, 'generic');
    record(
      registry,
      fnName,
      'generic',
      requireOptions(options, fnName, 'generic') as unknown as GenericFunctionOptions,
    );
  });

  for (const method of TRIGGER_METHODS) {
    const builder = triggers[method];
    if (typeof builder !== 'function') {
      continue;
    }
    patch(method, (name: unknown, options: unknown) => {
      const fnName = requireName(name, method);
      const opts = requireOptions(options, fnName, method);
      if (method === 'http' && opts.return === undefined) {
        // Same default as app.http: the response goes to an http output binding.
        opts.return = output.http({});
      }
      record(registry, fnName, method, toGenericOptions(opts, builder));
    });
  }

  const httpBuilder = triggers.http;
  for (const [method, verb] of Object.entries(HTTP_SHORTCUTS)) {
    if (typeof httpBuilder !== 'function') {
      break;
    }
    patch(method, (name: unknown, optionsOrHandler: unknown) => {
      const fnName = requireName(name, method);
      const opts: Record<string, unknown> =
        typeof optionsOrHandler === 'function'
          ? { handler: optionsOrHandler }
          : requireOptions(optionsOrHandler, fnName, method);
      opts.methods = [verb];
      if (opts.return === undefined) {
        opts.return = output.http({});
      }
      record(registry, fnName, method, toGenericOptions(opts, httpBuilder));
    });
  }

  // The app closes its connections in an app-terminate hook; the local host runs it at shutdown.
  const hooks = functions.app.hook as unknown as Record<string, unknown>;
  const originalAppTerminate = hooks.appTerminate;
  hooks.appTerminate = (handler: (context: functions.AppTerminateContext) => unknown) => {
    registry.terminateHooks.push(handler);
    return new functions.Disposable(() => {
      const index = registry.terminateHooks.indexOf(handler);
      if (index >= 0) registry.terminateHooks.splice(index, 1);
    });
  };

  activeCapture = registry;
  return () => {
    for (const [method, original] of originals) {
      app[method] = original;
    }
    hooks.appTerminate = originalAppTerminate;
    activeCapture = undefined;
  };
}

/**
 * Loads the given built app files (CommonJS) with capture installed, so their
 * registrations land in `registry`. Files already in the require cache are
 * loaded again so that a fresh registry sees them.
 */
export function loadApp(files: string[], registry: FunctionRegistry): FunctionRegistry {
  const uninstall = installRegistrationCapture(registry);
  try {
    for (const file of files) {
      const resolved = path.resolve(file);
      let modulePath: string;
      try {
        modulePath = require.resolve(resolved);
      } catch (error) {
        throw new Error(
          `loadApp: cannot find app module '${file}' (resolved to ${resolved}): ${(error as Error).message}`,
        );
      }
      delete require.cache[modulePath];
      try {
        // App files are chosen at run time by path, so they can only be loaded with require().
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(modulePath);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`loadApp: loading '${file}' failed: ${message}`, { cause: error });
      }
    }
  } finally {
    uninstall();
  }
  return registry;
}
