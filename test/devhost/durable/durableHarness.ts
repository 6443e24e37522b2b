import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { createInvocationContextWithDurableClient } from '../../../devhost/durable/createInvocationContextWithDurableClient';
import { DurableEngine } from '../../../devhost/durable/durableEngine';
import type { DurableEngineOptions } from '../../../devhost/durable/durableEngine';
import { VirtualClock } from '../../../devhost/durable/clock';
import {
  createRegistry,
  installRegistrationCapture,
  type FunctionRegistry,
} from '../../../devhost/registrations/captureRegistrations';

export interface DurableHarness {
  engine: DurableEngine;
  clock: VirtualClock;
  client: DurableClient;
  registry: FunctionRegistry;
}

/**
 * Runs `define` (which calls the real df.app.orchestration / df.app.activity)
 * with registration capture installed, then starts an engine on a virtual
 * clock with those registrations and returns the real DurableClient for it.
 */
export function captureDurableFunctions(define: () => void): FunctionRegistry {
  const registry = createRegistry();
  const uninstall = installRegistrationCapture(registry);
  try {
    define();
  } finally {
    uninstall();
  }
  return registry;
}

export async function startHarness(
  registry: FunctionRegistry,
  options: DurableEngineOptions & {
    clock?: VirtualClock;
    beforeStart?: (engine: DurableEngine) => void;
  } = {},
): Promise<DurableHarness> {
  const { beforeStart, ...engineOptions } = options;
  const clock = options.clock ?? new VirtualClock();
  const engine = new DurableEngine({ ...engineOptions, clock });
  engine.registerFromRegistry(registry);
  beforeStart?.(engine);
  await engine.start();
  const client = df.getClient(createInvocationContextWithDurableClient(engine));
  return { engine, clock, client, registry };
}

/** Virtual offsets (ms since the clock's start) of the given instants. */
export function offsets(times: number[], start: number): number[] {
  return times.map((t) => t - start);
}
