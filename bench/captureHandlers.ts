import * as functions from '@azure/functions';
import type { FunctionHandler, GenericFunctionOptions } from '@azure/functions';

type GenericRegister = (name: string, options: GenericFunctionOptions) => void;

/**
 * Runs `register` while standing in for `app.generic` of `@azure/functions`, and returns every handler registered
 * meanwhile (by function name): exactly what `df.app.orchestration` / `df.app.activity` hand the Functions host.
 * Outside the host the package is in test mode and would drop them (with a console warning each).
 */
export async function captureHandlers(register: () => unknown): Promise<Map<string, FunctionHandler>> {
  const app = functions.app as unknown as { generic: GenericRegister };
  const original = app.generic;
  const handlers = new Map<string, FunctionHandler>();
  app.generic = (name, options) => {
    handlers.set(name, options.handler);
  };
  try {
    await register();
  } finally {
    app.generic = original;
  }
  return handlers;
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
