import type { FunctionHandler } from '@azure/functions';
import { createRegistry, installRegistrationCapture } from '../devhost/registrations/captureRegistrations';

/**
 * Runs `register` under the local host's registration capture (the one interceptor of `app.*`) and returns every
 * handler registered meanwhile, by function name: exactly what `df.app.*` hands the Functions host.
 */
export async function captureHandlers(register: () => unknown): Promise<Map<string, FunctionHandler>> {
  const registry = createRegistry();
  const uninstall = installRegistrationCapture(registry);
  try {
    await register();
  } finally {
    uninstall();
  }
  return new Map(registry.list().map((r) => [r.name, r.handler]));
}

/** Looks a captured handler up, failing with the names that were captured. */
export function requireHandler(handlers: Map<string, FunctionHandler>, name: string): FunctionHandler {
  const handler = handlers.get(name);
  if (!handler) {
    throw new Error(
      `no handler registered for '${name}' (captured: ${[...handlers.keys()].join(', ') || 'none'})`,
    );
  }
  return handler;
}
