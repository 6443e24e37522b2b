import { InvocationContext } from '@azure/functions';
import type { FunctionInput, InvocationContextInit } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableEngine } from './durableEngine';

function isDurableClientInput(input: FunctionInput): boolean {
  // The same test df.getClient applies to context.options.extraInputs.
  return input.type === 'durableClient' || input.type === 'orchestrationClient';
}

/**
 * A `new InvocationContext(...)` on which `df.getClient(context)` returns the
 * real DurableClient wired to `engine`: the durableClient input is taken from
 * `init.options.extraInputs` (as the function registered it) or added, and its
 * value is the engine's client binding data, as the host would bind it.
 */
export function createInvocationContextWithDurableClient(
  engine: DurableEngine,
  init: InvocationContextInit = {},
): InvocationContext {
  const extraInputs = [...(init.options?.extraInputs ?? [])];
  let clientInput = extraInputs.find(isDurableClientInput);
  if (!clientInput) {
    clientInput = df.input.durableClient();
    extraInputs.push(clientInput);
  }
  const context = new InvocationContext({
    ...init,
    options: { ...init.options, extraInputs },
  });
  context.extraInputs.set(clientInput, engine.clientBindingData());
  return context;
}
