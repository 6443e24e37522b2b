/** App settings, as local.settings.json `Values`: names to strings. */
export type AppSettings = Record<string, string>;

export class BindingConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BindingConfigurationError';
  }
}

/**
 * Copies the settings into process.env, as the real host does for app settings before the worker loads the
 * app. Returns an undo function so tests and restarts leave the process as they found it.
 */
export function applyAppSettings(settings: AppSettings): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(settings)) {
    previous.set(name, process.env[name]);
    process.env[name] = value;
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

function lookup(settings: AppSettings, name: string): string | undefined {
  return settings[name] ?? process.env[name];
}

/**
 * Resolves `%NAME%` binding expressions (queue names, schedules) from the app settings, as the host does.
 * An unknown name is an error naming the function and the setting, like the host's start-up failure.
 */
export function resolveBindingExpression(value: string, settings: AppSettings, where: string): string {
  return value.replace(/%([^%]+)%/g, (_whole, name: string) => {
    const resolved = lookup(settings, name);
    if (resolved === undefined) {
      throw new BindingConfigurationError(
        `${where}: the binding expression %${name}% names an app setting that is not set`,
      );
    }
    return resolved;
  });
}

/**
 * A Service Bus `connection` names a setting: the connection string itself, or the identity-based
 * `<name>__fullyQualifiedNamespace` form (not usable offline, where the emulator needs a connection string).
 */
export function resolveServiceBusConnection(
  connection: string,
  settings: AppSettings,
  where: string,
): string {
  const direct = lookup(settings, connection);
  if (direct) return direct;
  const namespaced = lookup(settings, `${connection}__fullyQualifiedNamespace`);
  if (namespaced) {
    throw new BindingConfigurationError(
      `${where}: ${connection}__fullyQualifiedNamespace is an identity-based connection; the local host needs a ` +
        `connection string in the setting ${connection}`,
    );
  }
  throw new BindingConfigurationError(`${where}: the connection setting ${connection} is not set`);
}
