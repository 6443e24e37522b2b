import type { DispatchJobInput } from '../../../orchestrations/dispatchJob/dispatchJobInput';
import { dispatchMessage, type InstanceStarter } from '../../../functions/dispatchEvent/dispatchMessage';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import { testRoute } from '../../support/dispatchJobHarness';

/** Instances in a map; `raceOn` makes start() lose to a concurrent delivery for that id. */
class MapStarter implements InstanceStarter {
  readonly instances = new Map<string, DispatchJobInput>();
  constructor(private readonly raceOn?: string) {}
  exists(instanceId: string): Promise<boolean> {
    return Promise.resolve(this.instances.has(instanceId));
  }
  start(instanceId: string, input: DispatchJobInput): Promise<void> {
    if (instanceId === this.raceOn) {
      this.instances.set(instanceId, input);
      return Promise.reject(new Error('409 Conflict: an instance with this id is running'));
    }
    this.instances.set(instanceId, input);
    return Promise.resolve();
  }
}

const routes = [
  testRoute({ name: 'hello', match: { type: 'demo.hello' } }),
  testRoute({ name: 'all', match: { type: 'demo.*' } }),
];
const body = { specversion: '1.0', id: 'e1', source: '/s', type: 'demo.hello', subject: 'x', data: { a: 1 } };

describe('dispatchMessage', () => {
  it('starts one instance per matching route with the route snapshot and event as input', async () => {
    const starter = new MapStarter();
    const result = await dispatchMessage(
      { body, applicationProperties: {} },
      { routes, maxEventBytes: 4096, pollsPerExecution: 7, starter },
    );
    expect(result).toEqual({
      kind: 'dispatched',
      event: { id: 'e1', source: '/s', type: 'demo.hello', subject: 'x' },
      instances: [
        { route: 'hello', attempt: 1, instanceId: instanceIdFor('hello', 'e1', 1), started: true },
        { route: 'all', attempt: 1, instanceId: instanceIdFor('all', 'e1', 1), started: true },
      ],
    });
    expect(starter.instances.get(instanceIdFor('hello', 'e1', 1))).toEqual({
      route: routes[0],
      event: { id: 'e1', type: 'demo.hello', source: '/s', subject: 'x' },
      eventJson: JSON.stringify(body),
      attempt: 1,
      pollsPerExecution: 7,
    });
  });

  it('treats a start that loses a race with a concurrent delivery as a duplicate', async () => {
    const starter = new MapStarter(instanceIdFor('all', 'e1', 1));
    const log: string[] = [];
    const result = await dispatchMessage(
      { body, applicationProperties: {} },
      { routes, maxEventBytes: 4096, pollsPerExecution: 7, starter, log: (m) => log.push(m) },
    );
    expect(result.kind === 'dispatched' && result.instances.map((i) => i.started)).toEqual([true, false]);
    expect(log).toContain(
      `event e1: instance ${instanceIdFor('all', 'e1', 1)} was started concurrently (duplicate delivery)`,
    );
  });

  it('propagates a start failure that is not a duplicate (so the message is retried)', async () => {
    const starter: InstanceStarter = {
      exists: () => Promise.resolve(false),
      start: () => Promise.reject(new Error('engine down')),
    };
    await expect(
      dispatchMessage(
        { body, applicationProperties: {} },
        { routes, maxEventBytes: 4096, pollsPerExecution: 7, starter },
      ),
    ).rejects.toThrow('engine down');
  });

  it('reads dispatch properties case-insensitively and checks the marker before the body', async () => {
    const starter = new MapStarter();
    const marked = await dispatchMessage(
      {
        body: 'not even json',
        applicationProperties: {
          'Dispatch-Dead-Letter-Reason': 'InvalidEvent',
          'dispatch-dead-letter-description': 'bad',
        },
      },
      { routes, maxEventBytes: 4096, pollsPerExecution: 7, starter },
    );
    expect(marked).toEqual({ kind: 'marked', reason: 'InvalidEvent', description: 'bad' });
    const requeued = await dispatchMessage(
      { body, applicationProperties: { 'Dispatch-Route': 'all', 'dispatch-attempt': '2' } },
      { routes, maxEventBytes: 4096, pollsPerExecution: 7, starter },
    );
    expect(requeued).toMatchObject({
      kind: 'dispatched',
      instances: [{ route: 'all', attempt: 2, started: true }],
    });
  });

  it('builds dead-letter copies with deterministic ids', async () => {
    const starter = new MapStarter();
    const poison = await dispatchMessage(
      { body: '{', applicationProperties: {}, messageId: 'm-1' },
      { routes, maxEventBytes: 4096, pollsPerExecution: 7, starter },
    );
    expect(poison).toMatchObject({
      kind: 'dead-letter',
      reason: 'InvalidEvent',
      copy: { body: '{', reason: 'InvalidEvent', messageId: expect.stringMatching(/^invalid:/) as unknown },
    });
    const noRoute = await dispatchMessage(
      { body: { ...body, type: 'x' }, applicationProperties: {} },
      { routes, maxEventBytes: 4096, pollsPerExecution: 7, starter },
    );
    expect(noRoute).toMatchObject({
      kind: 'dead-letter',
      reason: 'NoRoute',
      copy: { eventId: 'e1', messageId: 'e1:dead-letter' },
    });
  });
});
