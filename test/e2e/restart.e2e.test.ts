import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import {
  bodyText,
  cloudEvent,
  eventually,
  fromStart,
  getEventJobs,
  launchDevStack,
  peekResults,
  sendRaw,
  waitForSettled,
  type RunningStack,
} from './devStackHarness';

/**
 * `dispatcher dev --state <dir>` stopped (Ctrl-C) while a job runs, then started again on the same state:
 * the in-flight work resumes from persisted Durable and broker state and the event settles exactly once.
 */
const stateDir = mkdtempSync(join(tmpdir(), 'dispatcher-e2e-state-'));
let stack: RunningStack | undefined;

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

it('resumes a job across a restart of the stack and settles it exactly once', async () => {
  const event = cloudEvent('e2e.restart');
  stack = await launchDevStack({ stateDir });
  let client = new ServiceBusClient(stack.connectionString);
  await sendRaw(client, JSON.stringify(event), event.id);
  await eventually('the job to be watched', async () => {
    const { jobs } = await getEventJobs(stack!.httpBase, event.id);
    return jobs.some((j) => j.phase === 'Watching') ? true : undefined;
  });
  await client.close();
  await stack.stop();

  stack = await launchDevStack({ stateDir });
  client = new ServiceBusClient(stack.connectionString);
  try {
    const jobs = await waitForSettled(stack.httpBase, event.id, 1, 90_000);
    const last = jobs[jobs.length - 1];
    expect(last).toEqual(expect.objectContaining({ route: 'e2e-restart', phase: 'Succeeded', exitCode: 0 }));
    // Every attempt that ended before the last one was requeued, never settled twice.
    expect(jobs.slice(0, -1).every((j) => j.phase === 'Requeued')).toBe(true);

    // Let any duplicate settlement surface before counting.
    await new Promise((r) => setTimeout(r, 3000));
    const results = (await peekResults(client)).filter((r) => r.eventId === event.id);
    expect(results.filter((r) => r.outcome !== 'Requeued')).toEqual([
      expect.objectContaining({ outcome: 'Succeeded' }),
    ]);
    expect(new Set(results.map((r) => r.attempt)).size).toBe(results.length);

    const receiver = client.createReceiver('dispatch');
    const left = await receiver.peekMessages(50, fromStart);
    await receiver.close();
    expect(left.map(bodyText)).toEqual([]);
  } finally {
    await client.close();
  }
}, 180_000);
