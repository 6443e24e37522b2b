import type { DispatchJobInput } from '../../../orchestrations/dispatchJob/dispatchJobInput';
import { dispatchMessage, type InstanceStarter } from '../../../functions/dispatchEvent/dispatchMessage';
import { instanceIdFor } from '../../../shared/naming/dispatchNames';
import { DispatchSigner, POISON_IDENTITY } from '../../../shared/signing/dispatchSigner';
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
const E1 = { source: '/s', id: 'e1' };
const signer = new DispatchSigner({ current: new Uint8Array(32).fill(7) });
const options = (starter: InstanceStarter, log?: (m: string) => void) => ({
  routes,
  maxEventBytes: 16_384,
  pollsPerExecution: 7,
  starter,
  signer,
  ...(log ? { log } : {}),
});

describe('dispatchMessage', () => {
  it('starts one instance per matching route with the route snapshot and event as input', async () => {
    const starter = new MapStarter();
    const result = await dispatchMessage({ body, applicationProperties: {} }, options(starter));
    expect(result).toEqual({
      kind: 'dispatched',
      event: { id: 'e1', source: '/s', type: 'demo.hello', subject: 'x' },
      instances: [
        { route: 'hello', attempt: 1, instanceId: instanceIdFor('hello', E1, 1), started: true },
        { route: 'all', attempt: 1, instanceId: instanceIdFor('all', E1, 1), started: true },
      ],
    });
    expect(starter.instances.get(instanceIdFor('hello', E1, 1))).toEqual({
      route: routes[0],
      event: { id: 'e1', type: 'demo.hello', source: '/s', subject: 'x' },
      eventJson: JSON.stringify(body),
      attempt: 1,
      pollsPerExecution: 7,
    });
  });

  it('treats a start that loses a race with a concurrent delivery as a duplicate', async () => {
    const starter = new MapStarter(instanceIdFor('all', E1, 1));
    const log: string[] = [];
    const result = await dispatchMessage(
      { body, applicationProperties: {} },
      options(starter, (m) => log.push(m)),
    );
    expect(result.kind === 'dispatched' && result.instances.map((i) => i.started)).toEqual([true, false]);
    expect(log).toContain(
      `event e1 (source /s): instance ${instanceIdFor('all', E1, 1)} was started concurrently (duplicate delivery)`,
    );
  });

  it('propagates a start failure that is not a duplicate (so the message is retried)', async () => {
    const starter: InstanceStarter = {
      exists: () => Promise.resolve(false),
      start: () => Promise.reject(new Error('engine down')),
    };
    await expect(dispatchMessage({ body, applicationProperties: {} }, options(starter))).rejects.toThrow(
      'engine down',
    );
  });

  it('honours signed marks, read case-insensitively and as the worker delivers them', async () => {
    const starter = new MapStarter();
    const poisonMark = signer.properties(
      POISON_IDENTITY,
      { deadLetterReason: 'InvalidEvent' },
      {
        deadLetterDescription: 'bad',
      },
    );
    const marked = await dispatchMessage(
      { body: 'not even json', applicationProperties: poisonMark },
      options(starter),
    );
    expect(marked).toEqual({ kind: 'marked', reason: 'InvalidEvent', description: 'bad' });
    const signed = signer.properties(E1, { route: 'all', attempt: 2 });
    const requeued = await dispatchMessage(
      {
        body,
        applicationProperties: {
          'Dispatch-Route': 'all',
          'dispatch-attempt': '2',
          'dispatch-signature': signed['dispatch-signature'],
        },
      },
      options(starter),
    );
    expect(requeued).toMatchObject({
      kind: 'dispatched',
      instances: [{ route: 'all', attempt: 2, instanceId: instanceIdFor('all', E1, 2), started: true }],
    });
  });

  // Issue 11, finding 1: any sender could steer the dispatcher through dispatch-* properties.
  it.each([
    ['another route', { 'dispatch-route': 'all' }],
    ['a late attempt', { 'dispatch-attempt': 99 }],
    ['a dead-letter mark', { 'dispatch-dead-letter-reason': 'JobFailed' }],
    ['a resubmission', { 'dispatch-resubmission': 5 }],
    ['a forged signature', { 'dispatch-route': 'all', 'dispatch-signature': 'v1.forged' }],
    [
      'a signature for another event',
      signer.properties({ source: '/s', id: 'other' }, { route: 'all', attempt: 3 }),
    ],
  ])('rejects an event whose sender set %s, and runs nothing', async (_what, props) => {
    const starter = new MapStarter();
    const result = await dispatchMessage({ body, applicationProperties: props }, options(starter));
    expect(result).toMatchObject({
      kind: 'dead-letter',
      reason: 'InvalidEvent',
      description: expect.stringMatching(/reserved for the dispatcher's own signed copies/) as unknown,
      copy: { identity: E1 },
    });
    expect(starter.instances.size).toBe(0);
  });

  it('requires a signed route to match the event and a signed attempt to stay within maxAttempts', async () => {
    const starter = new MapStarter();
    const other = { ...body, type: 'other.type' };
    const wrongRoute = await dispatchMessage(
      { body: other, applicationProperties: signer.properties(E1, { route: 'hello', attempt: 2 }) },
      options(starter),
    );
    expect(wrongRoute).toMatchObject({
      kind: 'dead-letter',
      reason: 'NoRoute',
      description: expect.stringMatching(
        /route "hello" named by this copy \(attempt 2\) does not match/,
      ) as unknown,
    });
    const maxAttempts = routes[0]!.policy.maxAttempts;
    const tooLate = await dispatchMessage(
      { body, applicationProperties: signer.properties(E1, { route: 'hello', attempt: maxAttempts + 1 }) },
      options(starter),
    );
    expect(tooLate).toMatchObject({
      kind: 'dead-letter',
      reason: 'InvalidEvent',
      description: expect.stringMatching(/beyond the route's maxAttempts/) as unknown,
    });
    expect(starter.instances.size).toBe(0);
  });

  // Issue 11, finding 4: the same id from two sources is two events.
  it('runs two events with the same id from different sources, and a duplicate of either not again', async () => {
    const starter = new MapStarter();
    const a = await dispatchMessage({ body, applicationProperties: {} }, options(starter));
    const b = await dispatchMessage(
      { body: { ...body, source: '/t' }, applicationProperties: {} },
      options(starter),
    );
    const again = await dispatchMessage(
      { body: { ...body, source: '/t' }, applicationProperties: {} },
      options(starter),
    );
    expect(a.kind === 'dispatched' && a.instances.every((i) => i.started)).toBe(true);
    expect(b.kind === 'dispatched' && b.instances.every((i) => i.started)).toBe(true);
    expect(again.kind === 'dispatched' && again.instances.some((i) => i.started)).toBe(false);
    expect(starter.instances.size).toBe(4);
  });

  it('runs a resubmitted event again from attempt 1 in its own generation; a duplicate of it not again', async () => {
    const starter = new MapStarter();
    await dispatchMessage({ body, applicationProperties: {} }, options(starter));
    const props = signer.properties(E1, { route: 'hello', resubmission: 1 });
    const resubmitted = await dispatchMessage({ body, applicationProperties: props }, options(starter));
    expect(resubmitted).toMatchObject({
      kind: 'dispatched',
      instances: [
        { route: 'hello', attempt: 1, instanceId: instanceIdFor('hello', E1, 1, 1), started: true },
      ],
    });
    expect(instanceIdFor('hello', E1, 1, 1)).toMatch(/-g1-a1$/);
    expect(starter.instances.get(instanceIdFor('hello', E1, 1, 1))?.resubmission).toBe(1);
    const duplicate = await dispatchMessage({ body, applicationProperties: props }, options(starter));
    expect(duplicate.kind === 'dispatched' && duplicate.instances[0]?.started).toBe(false);
  });

  // Issue 11, finding 5: poison handling holes.
  it('dead-letters a deeply nested body as InvalidEvent, from text and from what the host parsed', async () => {
    const deep = `{"specversion":"1.0","id":"d","source":"/s","type":"demo.hello","data":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(deep.length).toBeLessThan(16_384);
    for (const form of [deep, Buffer.from(deep), JSON.parse(deep) as unknown]) {
      const result = await dispatchMessage(
        { body: form, applicationProperties: {}, messageId: 'm' },
        options(new MapStarter()),
      );
      expect(result).toMatchObject({
        kind: 'dead-letter',
        reason: 'InvalidEvent',
        description: expect.stringMatching(/nesting level \d+ is deeper than the limit of 64/) as unknown,
      });
      // The copy carries the body as received; the parsed form is written back without recursion.
      const copy = result.kind === 'dead-letter' ? result.copy.body : '';
      expect(Buffer.from(copy).toString('utf8')).toBe(deep);
    }
  });

  it('rejects invalid UTF-8 instead of decoding it with replacement characters', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"specversion":"1.0","id":"u","source":"/s","type":"demo.hello","data":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const result = await dispatchMessage(
      { body: bytes, applicationProperties: {} },
      options(new MapStarter()),
    );
    expect(result).toMatchObject({
      kind: 'dead-letter',
      reason: 'InvalidEvent',
      description: expect.stringMatching(/UTF-8/) as unknown,
    });
    expect(result.kind === 'dead-letter' && result.copy.body).toBe(bytes);
  });

  it('keeps a bounded, sanitised subset of the sender properties on a poison copy', async () => {
    const result = await dispatchMessage(
      {
        body: '{',
        applicationProperties: {
          tenant: 'a\u0000b',
          'not a name!': 1,
          huge: 'x'.repeat(60_000),
          'dispatch-route': 'all',
          n: 3,
        },
        messageId: 'm-1',
        contentType: 'application/json',
      },
      options(new MapStarter()),
    );
    expect(result.kind).toBe('dead-letter');
    if (result.kind !== 'dead-letter') return;
    expect(result.copy.originalProperties).toEqual({ tenant: 'a\uFFFDb', huge: `${'x'.repeat(511)}…`, n: 3 });
    expect(result.copy).toMatchObject({
      body: '{',
      originalMessageId: 'm-1',
      contentType: 'application/json',
    });
    expect(result.description).not.toContain('properties not copied');
    expect(result.copy.description).toContain("1 of the message's properties not copied");
  });

  it('names poison copies after MessageIds of any AMQP type', async () => {
    const ids = [7, 8, Buffer.from([1, 2]), 'seven'];
    const copies = await Promise.all(
      ids.map(async (messageId) => {
        const result = await dispatchMessage(
          { body: '{', applicationProperties: {}, messageId },
          options(new MapStarter()),
        );
        return result.kind === 'dead-letter' ? result.copy.originalMessageId : undefined;
      }),
    );
    expect(copies).toEqual(['7', '8', 'binary:0102', 'seven']);
  });

  it('dead-letters an unroutable event with its identity', async () => {
    const noRoute = await dispatchMessage(
      { body: { ...body, type: 'x' }, applicationProperties: {} },
      options(new MapStarter()),
    );
    expect(noRoute).toMatchObject({ kind: 'dead-letter', reason: 'NoRoute', copy: { identity: E1 } });
  });
});
