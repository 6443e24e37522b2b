import { app, HttpRequest, InvocationContext, output, trigger } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import {
  createRegistry,
  installRegistrationCapture,
  type FunctionRegistry,
} from '../../../devhost/registrations/captureRegistrations';

// Lives beside the durable tests because the registrations folder has no test folder of its own.
describe('captureRegistrations', () => {
  let registry: FunctionRegistry;
  let uninstall: (() => void) | undefined;

  beforeEach(() => {
    registry = createRegistry();
    uninstall = installRegistrationCapture(registry);
  });

  afterEach(() => {
    uninstall?.();
    uninstall = undefined;
  });

  it('captures every kind of registration with its trigger options, inputs and outputs', async () => {
    const queueOut = output.serviceBusQueue({ queueName: 'results', connection: 'ServiceBusConnection' });
    app.serviceBusQueue('onEvent', {
      queueName: 'events',
      connection: 'ServiceBusConnection',
      extraInputs: [df.input.durableClient()],
      extraOutputs: [queueOut],
      handler: () => undefined,
    });
    app.serviceBusTopic('onTopic', {
      topicName: 't',
      subscriptionName: 's',
      connection: 'ServiceBusConnection',
      handler: () => undefined,
    });
    app.timer('sweep', { schedule: '0 */5 * * * *', handler: () => undefined });
    app.http('status', {
      methods: ['GET'],
      route: 'status/{id}',
      authLevel: 'anonymous',
      handler: () => ({ body: 'ok' }),
    });
    app.get('ping', () => ({ body: 'pong' }));
    app.deleteRequest('remove', { route: 'things/{id}', handler: () => ({ status: 204 }) });
    app.storageQueue('legacy', {
      queueName: 'old',
      connection: 'AzureWebJobsStorage',
      handler: () => undefined,
    });
    app.generic('custom', {
      trigger: trigger.generic({ type: 'customTrigger', flavour: 'x' }),
      handler: () => undefined,
    });
    df.app.activity('act', { handler: (x: unknown) => x });
    df.app.orchestration('orch', function* (context: OrchestrationContext) {
      return (yield context.df.callActivity('act', 1)) as number;
    });

    expect(registry.list().map((r) => [r.name, r.registeredVia, r.triggerType])).toEqual([
      ['onEvent', 'serviceBusQueue', 'serviceBusTrigger'],
      ['onTopic', 'serviceBusTopic', 'serviceBusTrigger'],
      ['sweep', 'timer', 'timerTrigger'],
      ['status', 'http', 'httpTrigger'],
      ['ping', 'get', 'httpTrigger'],
      ['remove', 'deleteRequest', 'httpTrigger'],
      ['legacy', 'storageQueue', 'queueTrigger'],
      ['custom', 'generic', 'customTrigger'],
      ['act', 'generic', 'activityTrigger'],
      ['orch', 'generic', 'orchestrationTrigger'],
    ]);
    const onEvent = registry.get('ONEVENT');
    expect(onEvent?.trigger).toMatchObject({
      type: 'serviceBusTrigger',
      queueName: 'events',
      connection: 'ServiceBusConnection',
    });
    expect(onEvent?.extraInputs.map((i) => i.type)).toEqual(['durableClient']);
    expect(onEvent?.extraOutputs).toEqual([queueOut]);
    expect(registry.get('sweep')?.trigger).toMatchObject({ schedule: '0 */5 * * * *' });
    expect(registry.get('status')?.trigger).toMatchObject({
      methods: ['GET'],
      route: 'status/{id}',
      authLevel: 'anonymous',
    });
    expect(registry.get('status')?.return?.type).toBe('http');
    expect(registry.get('ping')?.trigger).toMatchObject({ methods: ['GET'] });
    expect(registry.get('remove')?.trigger).toMatchObject({ methods: ['DELETE'], route: 'things/{id}' });
    expect(registry.byTriggerType('httpTrigger').map((r) => r.name)).toEqual(['status', 'ping', 'remove']);

    // Handlers are callable as the host would call them.
    const ping = registry.get('ping');
    const response = (await ping?.handler(
      new HttpRequest({ method: 'GET', url: 'http://localhost/api/ping' }),
      new InvocationContext(),
    )) as {
      body: string;
    };
    expect(response.body).toBe('pong');
  });

  it('refuses duplicate names and bad arguments with clear errors', () => {
    app.timer('dup', { schedule: '* * * * * *', handler: () => undefined });
    expect(() => app.timer('Dup', { schedule: '* * * * * *', handler: () => undefined })).toThrow(
      "A function named 'Dup' is already registered (timerTrigger); function names must be unique (case-insensitive).",
    );
    expect(() =>
      app.generic('', { trigger: trigger.generic({ type: 'x' }), handler: () => undefined }),
    ).toThrow("app.generic(''): the function name must be a non-empty string.");
    expect(() => app.timer('noHandler', { schedule: '* * * * * *' } as never)).toThrow(
      "app.timer('noHandler'): options.handler must be a function.",
    );
    expect(() => installRegistrationCapture(createRegistry())).toThrow(
      'Registration capture is already installed',
    );
  });

  it('restores the original app functions on uninstall', () => {
    const patched = app.generic;
    uninstall?.();
    uninstall = undefined;
    expect(app.generic).not.toBe(patched);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      app.timer('afterUninstall', { schedule: '* * * * * *', handler: () => undefined });
    } finally {
      warn.mockRestore();
    }
    expect(registry.get('afterUninstall')).toBeUndefined();
  });
});
