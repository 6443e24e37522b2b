import { ServiceBusClient } from '@azure/service-bus';
import {
  bodyText,
  cloudEvent,
  dispatchReason,
  fromStart,
  getEventJobs,
  launchDevStack,
  peekResults,
  sendRaw,
  waitForDeadLetter,
  waitForSettled,
  isCopyOf,
  type RunningStack,
} from './devStackHarness';

/**
 * The whole dispatcher (classic settlement) driven from outside: events in through the official Service Bus
 * SDK, outcomes read from the status API, the dead-letter queue and the results topic. All events are sent up
 * front so the scenarios run concurrently.
 */
let stack: RunningStack;
let client: ServiceBusClient;

const ok = cloudEvent('e2e.ok');
const file = cloudEvent('e2e.file');
const failing = cloudEvent('e2e.fail');
const slow = cloudEvent('e2e.slow');
const fanout = cloudEvent('e2e.fanout');
const duplicate = cloudEvent('e2e.ok');
const unroutable = cloudEvent('e2e.nothing-matches');
const unpullable = cloudEvent('e2e.nopull');
const marker = `poison-${Date.now()}`;
const invalidJson = `{"specversion":"1.0","id":"${marker}","type":"e2e.ok",`;
const missingType = JSON.stringify({ specversion: '1.0', id: `${marker}-no-type`, source: 'urn:e2e:test' });

beforeAll(async () => {
  stack = await launchDevStack();
  client = new ServiceBusClient(stack.connectionString);
  for (const event of [ok, file, failing, slow, fanout, unroutable, unpullable])
    await sendRaw(client, JSON.stringify(event), event.id);
  // The same CloudEvent twice, as two distinct messages (so broker duplicate detection cannot hide it).
  await sendRaw(client, JSON.stringify(duplicate), `${duplicate.id}-first`);
  await sendRaw(client, JSON.stringify(duplicate), `${duplicate.id}-second`);
  await sendRaw(client, invalidJson);
  await sendRaw(client, missingType);
}, 90_000);

afterAll(async () => {
  await client?.close();
  await stack?.stop();
});

function explain(): string {
  return `\n--- dev stack log (tail) ---\n${stack.output().slice(-4000)}`;
}

describe('dispatcher end to end (classic settlement)', () => {
  it('runs a job to success and publishes one Succeeded result', async () => {
    const jobs = await waitForSettled(stack.httpBase, ok.id, 1);
    expect(jobs).toEqual([
      expect.objectContaining({
        route: 'e2e-ok',
        attempt: 1,
        phase: 'Succeeded',
        runtimeStatus: 'Completed',
        exitCode: 0,
      }),
    ]);
    const results = (await peekResults(client)).filter((r) => r.eventId === ok.id);
    expect(results).toEqual([expect.objectContaining({ route: 'e2e-ok', attempt: 1, outcome: 'Succeeded' })]);
  });

  it('hands the job the event in DISPATCH_EVENT and as a mounted file', async () => {
    // Each job exits 0 only when the event it got is intact (its data.expect equals its id).
    const [viaEnv] = await waitForSettled(stack.httpBase, ok.id, 1);
    const [viaFile] = await waitForSettled(stack.httpBase, file.id, 1);
    expect([viaEnv?.phase, viaEnv?.exitCode]).toEqual(['Succeeded', 0]);
    expect([viaFile?.route, viaFile?.phase, viaFile?.exitCode]).toEqual(['e2e-file', 'Succeeded', 0]);
  });

  it('requeues a failing job with backoff, then dead-letters it after maxAttempts with reason and log tail', async () => {
    const jobs = await waitForSettled(stack.httpBase, failing.id, 1);
    expect(jobs.map((j) => [j.attempt, j.phase, j.exitCode])).toEqual([
      [1, 'Requeued', 3],
      [2, 'DeadLettered', 3],
    ]);
    const dead = await waitForDeadLetter(client, failing.id, (m) => isCopyOf(m, failing.id));
    const { reason, description } = dispatchReason(dead);
    expect(reason).toBe('JobFailed');
    expect(description).toContain('exited with code 3');
    expect(description).toContain('e2e-fail-marker: something broke');
    const results = (await peekResults(client)).filter((r) => r.eventId === failing.id);
    expect(results.map((r) => `${r.attempt}:${r.outcome}`).sort()).toEqual(['1:Requeued', '2:DeadLettered']);
    // Backoff: the copy was scheduled PT2S after attempt 1's outcome was decided, and attempt 2 did not start before it
    // became visible (createdTime is truncated to whole seconds, hence the 1 s allowance).
    const requeued = results.find((r) => r.attempt === 1);
    const nextAttemptAt = Date.parse(String(requeued?.nextAttemptAt));
    // Scheduled in the future, no further out than the PT2S backoff from when the decision was taken.
    const sinceSettled = nextAttemptAt - Date.parse(requeued?.time ?? '');
    expect(sinceSettled).toBeGreaterThan(0);
    expect(sinceSettled).toBeLessThanOrEqual(2000);
    expect(Date.parse(jobs[1]?.createdTime ?? '') + 1000).toBeGreaterThanOrEqual(nextAttemptAt);
  });

  it('stops a job past its timeout and requeues it', async () => {
    const jobs = await waitForSettled(stack.httpBase, slow.id, 1);
    expect(jobs.map((j) => [j.attempt, j.phase])).toEqual([
      [1, 'Requeued'],
      [2, 'DeadLettered'],
    ]);
    expect(jobs[0]?.reason ?? '').toMatch(/time/i);
    const dead = await waitForDeadLetter(client, slow.id, (m) => isCopyOf(m, slow.id));
    expect(`${dispatchReason(dead).reason} ${dispatchReason(dead).description}`).toMatch(/time/i);
  });

  it('dead-letters invalid JSON as InvalidEvent, saying where the JSON broke', async () => {
    const dead = await waitForDeadLetter(client, 'invalid JSON', (m) => bodyText(m) === invalidJson);
    const { reason, description } = dispatchReason(dead);
    expect(reason).toBe('InvalidEvent');
    expect(description).toMatch(/JSON/i);
  });

  it('dead-letters an event without its type attribute as InvalidEvent naming the attribute', async () => {
    const dead = await waitForDeadLetter(client, 'missing type', (m) => bodyText(m) === missingType);
    const { reason, description } = dispatchReason(dead);
    expect(reason).toBe('InvalidEvent');
    expect(description).toMatch(/type/);
    // The status API finds it under the id it carries, from the event ledger.
    const response = await fetch(`${stack.httpBase}/events/${encodeURIComponent(`${marker}-no-type`)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      state: 'Rejected',
      rejection: { source: 'urn:e2e:test', reason: 'InvalidEvent', description },
      jobs: [],
    });
  });

  it('dead-letters an event no route matches as NoRoute', async () => {
    const dead = await waitForDeadLetter(client, 'no route', (m) => bodyText(m).includes(unroutable.id));
    expect(dispatchReason(dead).reason).toBe('NoRoute');
    // Shown at once by the status API (from the event ledger), not a 404.
    const response = await fetch(`${stack.httpBase}/events/${encodeURIComponent(unroutable.id)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      state: 'Rejected',
      rejection: { reason: 'NoRoute', description: dispatchReason(dead).description },
      events: [{ source: 'urn:e2e:test', type: 'e2e.nothing-matches', routes: [] }],
      jobs: [],
    });
    expect((await getEventJobs(stack.httpBase, 'never-sent-anywhere')).status).toBe(404);
  });

  it('starts one job for the same CloudEvent delivered twice', async () => {
    const jobs = await waitForSettled(stack.httpBase, duplicate.id, 1);
    expect(jobs.map((j) => j.instanceId)).toHaveLength(1);
    // Give a late second start a chance to show up before asserting there is none.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await getEventJobs(stack.httpBase, duplicate.id)).jobs).toHaveLength(1);
    expect((await peekResults(client)).filter((r) => r.eventId === duplicate.id)).toHaveLength(1);
  });

  it('starts one job per matching route for an event that matches two routes', async () => {
    const jobs = await waitForSettled(stack.httpBase, fanout.id, 2);
    expect(jobs.map((j) => [j.route, j.phase]).sort()).toEqual([
      ['e2e-fan-a', 'Succeeded'],
      ['e2e-fan-b', 'Succeeded'],
    ]);
  });

  it('dead-letters a job whose image cannot be pulled without retrying it', async () => {
    const jobs = await waitForSettled(stack.httpBase, unpullable.id, 1);
    expect(jobs.map((j) => [j.attempt, j.phase])).toEqual([[1, 'DeadLettered']]);
    const dead = await waitForDeadLetter(client, unpullable.id, (m) => isCopyOf(m, unpullable.id));
    const { reason, description } = dispatchReason(dead);
    expect(reason).toBe('ImagePullFailed');
    expect(description).toMatch(/pull image "dispatcher\/not-there:1"/);
  });

  it('leaves nothing behind on the dispatch queue', async () => {
    const receiver = client.createReceiver('dispatch');
    try {
      const left = await receiver.peekMessages(100, fromStart);
      expect(left.map((m) => bodyText(m)).join('\n') + (left.length ? explain() : '')).toBe('');
    } finally {
      await receiver.close();
    }
  });
});
