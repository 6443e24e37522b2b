import { app, HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInvocationContextWithDurableClient } from '../../../devhost/durable/createInvocationContextWithDurableClient';
import type { DurableClientBindingData } from '../../../devhost/durable/durableEngine';
import { captureDurableFunctions, startHarness, type DurableHarness } from './durableHarness';

const registry = captureDurableFunctions(() => {
  df.app.activity('double', { handler: (n: number) => n * 2 });
  df.app.orchestration('quick', function* (context: OrchestrationContext) {
    const n = context.df.getInput<number>();
    return (yield context.df.callActivity('double', n)) as number;
  });
  df.app.orchestration('waiter', function* (context: OrchestrationContext) {
    context.df.setCustomStatus('waiting for go');
    const data: unknown = yield context.df.waitForExternalEvent('go');
    return data;
  });
  df.app.client.serviceBusQueue('onQueueMessage', {
    queueName: 'events',
    connection: 'ServiceBusConnection',
    handler: async (message: unknown, client: df.DurableClient) => {
      const n = (message as { n: number }).n;
      await client.startNew('quick', { instanceId: `msg-${n}`, input: n });
    },
  });
  app.http('startQuick', {
    extraInputs: [df.input.durableClient()],
    handler: async (request, context) => {
      const client = df.getClient(context);
      const id = await client.startNew('quick', { input: Number(request.query.get('n') ?? '1') });
      return client.createCheckStatusResponse(request, id);
    },
  });
});

describe('Durable management HTTP API driven by the real DurableClient', () => {
  let h: DurableHarness;

  beforeEach(async () => {
    h = await startHarness(registry);
  });

  afterEach(async () => {
    await h.engine.stop();
  });

  it('refuses startNew with an instance id that is running, and replaces a finished one', async () => {
    await h.client.startNew('waiter', { instanceId: 'job-1' });
    await h.engine.waitForIdle();
    await expect(h.client.startNew('waiter', { instanceId: 'job-1' })).rejects.toThrow(
      'The operation failed with an unexpected status code: 409. Details: {"message":"An Orchestration instance with the status Running already exists."}',
    );
    await h.client.raiseEvent('job-1', 'go', 'first');
    await h.engine.runUntilIdle();
    expect((await h.client.getStatus('job-1')).output).toBe('first');

    const firstCreated = (await h.client.getStatus('job-1')).createdTime;
    await h.clock.advance(60_000);
    await h.client.startNew('quick', { instanceId: 'job-1', input: 21 });
    await h.engine.runUntilIdle();
    const replaced = await h.client.getStatus('job-1');
    expect(replaced).toMatchObject({ name: 'quick', runtimeStatus: 'Completed', input: 21, output: 42 });
    expect(replaced.createdTime.getTime() - firstCreated.getTime()).toBe(60_000);
  });

  it('lets a df.app.client trigger start an orchestration with the context helper', async () => {
    const registration = registry.get('onQueueMessage');
    expect(registration?.trigger).toMatchObject({ type: 'serviceBusTrigger', queueName: 'events' });
    const context = createInvocationContextWithDurableClient(h.engine, {
      functionName: 'onQueueMessage',
      options: { trigger: registration?.trigger, extraInputs: registration?.extraInputs },
    });
    expect(context.options.extraInputs).toHaveLength(1);
    await registration?.handler({ n: 4 }, context);
    await h.engine.runUntilIdle();
    expect((await h.client.getStatus('msg-4')).output).toBe(8);
  });

  it('answers 400 for an unknown orchestrator and 404 for an unknown instance', async () => {
    await expect(h.client.startNew('nope')).rejects.toThrow(
      /status code: 400.*The function 'nope' doesn't exist, is disabled, or is not an orchestrator function/,
    );
    await expect(h.client.getStatus('missing')).rejects.toThrow(
      'DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means we could not find any data associated with the instanceId provided: missing.',
    );
    await expect(h.client.raiseEvent('missing', 'go', 1)).rejects.toThrow(
      "No instance with ID 'missing' found.",
    );
    await expect(h.client.terminate('missing', 'x')).rejects.toThrow("No instance with ID 'missing' found.");
  });

  it('terminates a running instance and purges it afterwards', async () => {
    const id = await h.client.startNew('waiter');
    await h.engine.waitForIdle();
    await expect(h.client.purgeInstanceHistory(id)).rejects.toThrow(
      /status code: 412.*Only orchestrations in a terminal state can be purged/,
    );
    await h.client.terminate(id, 'operator stop');
    const status = await h.client.getStatus(id);
    expect(status.runtimeStatus).toBe('Terminated');
    expect(status.output).toBe('operator stop');
    expect(status.customStatus).toBe('waiting for go');
    // Gone (410) is not an error for the client
    await expect(h.client.raiseEvent(id, 'go', 1)).resolves.toBeUndefined();
    await expect(h.client.terminate(id, 'again')).resolves.toBeUndefined();
    expect(await h.client.purgeInstanceHistory(id)).toEqual({ instancesDeleted: 1 });
    await expect(h.client.getStatus(id)).rejects.toThrow('404');
    expect(await h.client.purgeInstanceHistory(id)).toEqual({ instancesDeleted: 0 });
  });

  it('lists instances with status and created-time filters across continuation pages', async () => {
    const t0 = h.clock.now();
    const ids: string[] = [];
    for (let i = 0; i < 105; i++) {
      ids.push(await h.client.startNew('quick', { instanceId: `q-${String(i).padStart(3, '0')}`, input: i }));
    }
    await h.engine.runUntilIdle();
    await h.clock.advance(3_600_000);
    await h.client.startNew('waiter', { instanceId: 'w-late' });
    await h.engine.waitForIdle();

    const all = await h.client.getStatusAll();
    expect(all).toHaveLength(106);
    const completed = await h.client.getStatusBy({
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed],
    });
    expect(completed.map((s) => s.instanceId).sort()).toEqual(ids);
    const running = await h.client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Running] });
    expect(running.map((s) => s.instanceId)).toEqual(['w-late']);
    const early = await h.client.getStatusBy({
      createdTimeFrom: new Date(t0 - 1000),
      createdTimeTo: new Date(t0 + 1000),
    });
    expect(early).toHaveLength(105);

    const purged = await h.client.purgeInstanceHistoryBy({
      createdTimeFrom: new Date(t0 - 1000),
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed],
    });
    expect(purged).toEqual({ instancesDeleted: 105 });
    expect((await h.client.getStatusAll()).map((s) => s.instanceId)).toEqual(['w-late']);
  });

  it('returns check-status URLs on the caller origin that the engine serves', async () => {
    // A stand-in for the local Functions host: serves the HTTP trigger and mounts the durable webhooks.
    const trigger = registry.get('startQuick');
    if (!trigger) {
      throw new Error('startQuick not captured');
    }
    const host = http.createServer((req, res) => {
      void (async () => {
        if (await h.engine.handleHttpRequest(req, res)) {
          return;
        }
        const address = host.address() as AddressInfo;
        const request = new HttpRequest({
          method: 'POST',
          url: `http://127.0.0.1:${address.port}${req.url ?? ''}`,
        });
        const context = createInvocationContextWithDurableClient(h.engine, {
          functionName: trigger.name,
          options: { trigger: trigger.trigger, extraInputs: trigger.extraInputs },
        });
        const response = (await trigger.handler(request, context)) as {
          status?: number;
          headers: Headers;
          text(): Promise<string>;
        };
        res.writeHead(response.status ?? 200, Object.fromEntries(response.headers.entries()));
        res.end(await response.text());
      })();
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    try {
      const origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
      const started = await fetch(`${origin}/api/startQuick?n=5`, { method: 'POST' });
      expect(started.status).toBe(202);
      const payload = (await started.json()) as Record<string, string>;
      expect(payload.statusQueryGetUri).toBe(
        `${origin}/runtime/webhooks/durabletask/instances/${payload.id}?taskHub=TestHubName&connection=Storage`,
      );
      expect(started.headers.get('location')).toBe(payload.statusQueryGetUri);

      const running = await fetch(payload.statusQueryGetUri as string);
      expect([200, 202]).toContain(running.status);
      await h.engine.runUntilIdle();
      const done = await fetch(`${payload.statusQueryGetUri}&showHistory=true&showHistoryOutput=true`);
      expect(done.status).toBe(200);
      const body = (await done.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        name: 'quick',
        instanceId: payload.id,
        runtimeStatus: 'Completed',
        input: 5,
        output: 10,
      });
      expect(body.createdTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(body.historyEvents).toEqual([
        expect.objectContaining({ EventType: 'ExecutionStarted', FunctionName: 'quick' }),
        expect.objectContaining({ EventType: 'TaskCompleted', FunctionName: 'double', Result: 10 }),
        expect.objectContaining({ EventType: 'ExecutionCompleted', OrchestrationStatus: 'Completed' }),
      ]);

      const raised = await fetch(payload.sendEventPostUri?.replace('{eventName}', 'go') ?? '', {
        method: 'POST',
        body: '{"late":true}',
        headers: { 'Content-Type': 'application/json' },
      });
      expect(raised.status).toBe(410);
    } finally {
      await new Promise<void>((resolve) => {
        host.close(() => resolve());
        host.closeAllConnections();
      });
    }
  });

  it('builds management payloads on WEBSITE_HOSTNAME like the real client, and exposes the binding data', () => {
    const previous = process.env.WEBSITE_HOSTNAME;
    process.env.WEBSITE_HOSTNAME = h.engine.apiOrigin.replace('http://', '');
    try {
      const client = df.getClient(createInvocationContextWithDurableClient(h.engine));
      const payload = client.createHttpManagementPayload('abc');
      expect(payload.statusQueryGetUri).toBe(
        `${h.engine.apiOrigin}/runtime/webhooks/durabletask/instances/abc?taskHub=TestHubName&connection=Storage`,
      );
      expect(payload.terminatePostUri).toContain('/instances/abc/terminate?reason={text}');
    } finally {
      if (previous === undefined) {
        delete process.env.WEBSITE_HOSTNAME;
      } else {
        process.env.WEBSITE_HOSTNAME = previous;
      }
    }
    const data = h.engine.clientBindingData();
    expect(data.rpcBaseUrl).toBe(`${h.engine.apiOrigin}/durabletask/`);
    expect(data.taskHubName).toBe('TestHubName');
    expect(data.creationUrls.createNewInstancePostUri).toBe(
      `${h.engine.apiOrigin}/runtime/webhooks/durabletask/orchestrators/{functionName}[/{instanceId}]`,
    );
  });

  it('serves the webhook URLs the client uses when the binding data has no rpcBaseUrl', async () => {
    const previous = process.env.WEBSITE_HOSTNAME;
    process.env.WEBSITE_HOSTNAME = h.engine.apiOrigin.replace('http://', '');
    try {
      const context = createInvocationContextWithDurableClient(h.engine);
      const input = context.options.extraInputs[0];
      if (!input) {
        throw new Error('no durableClient input');
      }
      const webhookOnly: Partial<DurableClientBindingData> = h.engine.clientBindingData();
      delete webhookOnly.rpcBaseUrl;
      context.extraInputs.set(input, webhookOnly);
      const client = df.getClient(context);
      const id = await client.startNew('waiter', { instanceId: 'hook-1' });
      await h.engine.waitForIdle();
      expect((await client.getStatus(id)).customStatus).toBe('waiting for go');
      await client.raiseEvent(id, 'go', { via: 'webhook' });
      await h.engine.runUntilIdle();
      expect((await client.getStatus(id)).output).toEqual({ via: 'webhook' });
      const waiting = await client.startNew('waiter', { instanceId: 'hook-2' });
      await h.engine.waitForIdle();
      await client.terminate(waiting, 'bye');
      expect(
        (await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Terminated] })).map(
          (s) => s.instanceId,
        ),
      ).toEqual(['hook-2']);
      expect(await client.purgeInstanceHistory('hook-1')).toEqual({ instancesDeleted: 1 });
    } finally {
      if (previous === undefined) {
        delete process.env.WEBSITE_HOSTNAME;
      } else {
        process.env.WEBSITE_HOSTNAME = previous;
      }
    }
  });

  it('answers a direct API call with bad input with a clear 400', async () => {
    const response = await fetch(`${h.engine.rpcBaseUrl}orchestrators/quick`, {
      method: 'POST',
      body: '{not json',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(
      /^Invalid JSON content in orchestration input/,
    );
    const filter = await fetch(`${h.engine.rpcBaseUrl}instances/?createdTimeFrom=yesterday`);
    expect(filter.status).toBe(400);
    expect(((await filter.json()) as { message: string }).message).toBe(
      "Query parameter 'createdTimeFrom' is not a valid date-time: yesterday",
    );
    const entity = await fetch(`${h.engine.rpcBaseUrl}entities/nosuch/one?op=add`, {
      method: 'POST',
      body: '1',
    });
    expect(entity.status).toBe(400);
    expect(((await entity.json()) as { exceptionMessage: string }).exceptionMessage).toBe(
      "The function 'nosuch' doesn't exist, is disabled, or is not an entity function.",
    );
    const noOperation = await fetch(`${h.engine.rpcBaseUrl}entities/nosuch/one`, { method: 'POST' });
    expect(noOperation.status).toBe(400);
  });
});
