import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { killPersistedContainers } from '../../devhost/aci/startAciEmulator';
import { jobContainerName } from '../../adapters/aci/buildContainerGroup';
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
 * `dispatcher dev --state <dir>` stopped (Ctrl-C) while a job runs, then started again on the same state.
 * As in Azure, where a restart of the Functions host does not touch a running container group, the job's
 * container keeps running while the stack is down; the restarted stack resumes polling the SAME attempt,
 * sees that container finish, and settles the event exactly once.
 */
const stateDir = mkdtempSync(join(tmpdir(), 'dispatcher-e2e-state-'));
const stacks: RunningStack[] = [];

afterAll(async () => {
  for (const stack of stacks) await stack.stop();
  // A failed run must not leave the job's container behind (it outlives the stack by design).
  killPersistedContainers(join(stateDir, 'aci'));
  rmSync(stateDir, { recursive: true, force: true });
});

/** Debug level: the stack's log then carries the ACI emulator's lines, container output included. */
async function launch(): Promise<RunningStack> {
  const stack = await launchDevStack({ stateDir, logLevel: 'debug' });
  stacks.push(stack);
  return stack;
}

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;
}

it('resumes a running job across a restart of the stack and settles it exactly once', async () => {
  const event = cloudEvent('e2e.restart');
  const first = await launch();
  let client = new ServiceBusClient(first.connectionString);
  await sendRaw(client, JSON.stringify(event), event.id);
  const watched = await eventually('the job to be watched', async () => {
    const { jobs } = await getEventJobs(first.httpBase, event.id);
    return jobs.find((j) => j.phase === 'Watching' && j.containerGroup);
  });
  const group = watched.containerGroup ?? '';
  await client.close();
  await first.stop();

  const second = await launch();
  client = new ServiceBusClient(second.connectionString);
  try {
    const jobs = await waitForSettled(second.httpBase, event.id, 1, 90_000);
    // The attempt that was running before the restart is the one that succeeded: no second attempt.
    expect(jobs).toEqual([
      expect.objectContaining({
        route: 'e2e-restart',
        attempt: 1,
        phase: 'Succeeded',
        exitCode: 0,
        containerGroup: group,
      }),
    ]);

    // Let any duplicate settlement surface before counting.
    await new Promise((r) => setTimeout(r, 3000));
    const results = (await peekResults(client)).filter((r) => r.eventId === event.id);
    expect(results).toEqual([expect.objectContaining({ outcome: 'Succeeded', attempt: 1 })]);

    const receiver = client.createReceiver('dispatch');
    const left = await receiver.peekMessages(50, fromStart);
    await receiver.close();
    expect(left.map(bodyText)).toEqual([]);

    // The container ran once: started by the first stack, re-attached (not restarted) by the second, and
    // its output has one "working" and one "done".
    const before = first.output();
    const after = second.output();
    const output = `${before}\n${after}`;
    const lines = (suffix: string): RegExp => new RegExp(`${group}/${jobContainerName}${suffix}`);
    expect(count(before, lines(': started '))).toBe(1);
    expect(count(after, lines(': started '))).toBe(0);
    expect(count(after, lines(': re-attached to the running container'))).toBe(1);
    // The dev log shows a job's output like compose logs: `<route> a<attempt> <hash8> | <line>`.
    const jobOutput = (text: string): RegExp => new RegExp(`e2e-restart a1 [0-9a-f]{8} \\| ${text}$`);
    expect(count(output, jobOutput('working'))).toBe(1);
    expect(count(output, jobOutput('done'))).toBe(1);
    expect(count(after, lines(': exited with code 0$'))).toBe(1);
  } finally {
    await client.close();
  }
}, 180_000);
