import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { captureDurableFunctions, startHarness, type DurableHarness } from './durableHarness';

/*
 * An activity that declares a durableClient input gets the engine's client binding data, as the Functions host
 * binds it, so df.getClient(context) inside the activity can raise events to other instances.
 */

const registry = captureDurableFunctions(() => {
  df.app.activity('poke', {
    extraInputs: [df.input.durableClient()],
    handler: async (target: string, context: InvocationContext) => {
      await df.getClient(context).raiseEvent(target, 'Poked', { from: context.triggerMetadata?.instanceId });
      return 'sent';
    },
  });
  df.app.activity('plain', {
    handler: (_input: unknown, context: InvocationContext) =>
      context.extraInputs.get('durableClient') ?? 'none',
  });
  df.app.orchestration('waiter', function* (context: OrchestrationContext) {
    return (yield context.df.waitForExternalEvent('Poked')) as unknown;
  });
  df.app.orchestration('poker', function* (context: OrchestrationContext) {
    const sent = (yield context.df.callActivity('poke', context.df.getInput<string>())) as string;
    const plain = (yield context.df.callActivity('plain')) as unknown;
    return { sent, plain };
  });
});

let h: DurableHarness | undefined;
afterEach(async () => {
  await h?.engine.stop();
  h = undefined;
});

describe('durableClient input of activities', () => {
  it('lets an activity raise an event to another instance through df.getClient', async () => {
    h = await startHarness(registry);
    h.engine.startNew('waiter', { instanceId: 'w1' });
    h.engine.startNew('poker', { instanceId: 'p1', input: 'w1' });
    await h.engine.runUntilIdle();
    expect((await h.engine.waitForInstance('p1')).output).toEqual({ sent: 'sent', plain: 'none' });
    const waiter = await h.engine.waitForInstance('w1');
    expect(waiter).toMatchObject({ runtimeStatus: 'Completed', output: { from: 'p1' } });
  });
});
