import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { DispatchSigner } from '../../shared/signing/dispatchSigner';
import { generateSigningKey, parseSigningKey } from '../../shared/signing/signingKeys';
import {
  cloudEvent,
  eventually,
  getEventJobs,
  launchDevStack,
  repoRoot,
  sendRaw,
  bodyText,
  waitForDeadLetter,
  type RunningStack,
} from './devStackHarness';

/**
 * An operator's day on the offline stack, through the built CLI: cancel a runaway job; find a dead letter, see
 * why it failed, fix the cause, resubmit it, watch it succeed; resubmit to a queue nobody consumes to read the
 * resubmission itself (signed marks, kept properties, one MessageId however often it is resubmitted).
 */
const bin = join(repoRoot, 'bin', 'dispatcher.js');
const scratch = mkdtempSync(join(tmpdir(), 'dispatcher-ops-'));
const fixMarker = join(scratch, 'fixed');
const signingKey = generateSigningKey();
let stack: RunningStack;
let client: ServiceBusClient;

function route(name: string, type: string, script: string, timeout: string, maxAttempts: number): unknown {
  return {
    name,
    match: { type },
    job: { image: 'dispatcher/e2e:1', command: ['node', '-e', script], cpu: 0.5, memoryInGB: 0.5 },
    policy: {
      timeout,
      maxAttempts,
      backoff: { initial: 'PT1S', factor: 2, max: 'PT1S' },
      poll: { initial: 'PT1S', max: 'PT1S' },
    },
  };
}

function writeFixtures(): { routesFile: string; serviceBusConfig: string } {
  const routesFile = join(scratch, 'routes.json');
  writeFileSync(
    routesFile,
    JSON.stringify({
      routes: [
        route(
          'ops-runaway',
          'ops.runaway',
          "console.log('running away'); setTimeout(() => {}, 600000);",
          'PT10M',
          2,
        ),
        route(
          'ops-fixable',
          'ops.fixable',
          `const ok = require('fs').existsSync(${JSON.stringify(fixMarker)}); console.log(ok ? 'fixed' : 'config missing: ${fixMarker}'); process.exit(ok ? 0 : 3);`,
          'PT1M',
          1,
        ),
      ],
    }),
  );
  // The stack's queue config plus a queue nobody consumes, to look at a resubmission itself.
  const config = JSON.parse(
    readFileSync(join(repoRoot, 'devhost', 'config', 'servicebus.Config.json'), 'utf8'),
  ) as { UserConfig: { Namespaces: Array<{ Queues: Array<{ Name: string }> }> } };
  const queues = config.UserConfig.Namespaces[0]!.Queues;
  queues.push({ ...queues.find((q) => q.Name === 'dispatch')!, Name: 'parked' });
  const serviceBusConfig = join(scratch, 'servicebus.Config.json');
  writeFileSync(serviceBusConfig, JSON.stringify(config));
  return { routesFile, serviceBusConfig };
}

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, DISPATCH_SIGNING_KEY: signingKey },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  // The stack signs with the key the CLI is given (as an operator's tool reads it from the stack's state or Key Vault).
  stack = await launchDevStack({ ...writeFixtures(), settings: { DISPATCH_SIGNING_KEY: signingKey } });
  client = new ServiceBusClient(stack.connectionString);
}, 90_000);

afterAll(async () => {
  await client?.close();
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const connection = (): string[] => ['--connection', stack.connectionString];

it('cancels a runaway job: stopped, dead-lettered as Cancelled, and a second cancel is a no-op', async () => {
  const event = cloudEvent('ops.runaway');
  await sendRaw(client, JSON.stringify(event), event.id);
  await eventually('the job to run', async () => {
    const { jobs } = await getEventJobs(stack.httpBase, event.id);
    return jobs[0]?.phase === 'Watching' ? jobs : undefined;
  });

  const cancelled = await cli([
    'cancel',
    event.id,
    '--api',
    stack.httpBase,
    '--by',
    'e2e operator',
    '--timeout',
    '60',
  ]);
  expect(cancelled.stderr).toBe('');
  expect(cancelled.status).toBe(0);
  expect(cancelled.stdout).toMatch(
    /ops-runaway attempt 1 \(ops-runaway-[0-9a-f]{16}-a1\): cancelled, phase Cancelled/,
  );
  const { jobs } = await getEventJobs(stack.httpBase, event.id);
  expect(jobs).toEqual([expect.objectContaining({ phase: 'Cancelled', reason: 'Cancelled', attempt: 1 })]);
  // The event ledger has the outcome too (what GET /api/events/{id} joins in).
  const status = (await (await fetch(`${stack.httpBase}/events/${event.id}`)).json()) as {
    state: string;
    jobs: Array<{ description?: string }>;
  };
  expect(status.state).toBe('Settled');
  expect(status.jobs[0]?.description).toContain('cancelled by an operator (e2e operator)');

  const deadLetter = await waitForDeadLetter(client, event.id, (m) => bodyText(m).includes(event.id));
  expect(deadLetter.applicationProperties?.['dispatch-dead-letter-reason']).toBe('Cancelled');
  const listed = await cli(['dlq', 'list', ...connection(), '--event-id', event.id, '--json']);
  expect(JSON.parse(listed.stdout)).toEqual([
    expect.objectContaining({ eventId: event.id, reason: 'Cancelled', route: 'ops-runaway', attempt: 1 }),
  ]);

  const again = await cli(['cancel', event.id, '--api', stack.httpBase, '--json']);
  expect(again.status).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ routes: [{ state: 'cancelled' }] });
}, 120_000);

const fixable = cloudEvent('ops.fixable');

it('finds a failed event in the DLQ, shows why, and after the fix resubmits it', async () => {
  const event = fixable;
  await sendRaw(client, JSON.stringify(event), event.id);
  await eventually(
    'the dead letter',
    async () => {
      const listed = await cli(['dlq', 'list', ...connection(), '--event-id', event.id, '--json']);
      const views = JSON.parse(listed.stdout || '[]') as Array<{ reason: string }>;
      return views.length === 1 ? views : undefined;
    },
    60_000,
    1000,
  );
  const shown = await cli(['dlq', 'show', ...connection(), '--event-id', event.id, '--reason', 'jobfailed']);
  expect(shown.status).toBe(0);
  expect(shown.stdout).toContain('reason:              JobFailed');
  expect(shown.stdout).toContain(`config missing: ${fixMarker}`);
  // The producer's MessageId (sendRaw uses the event id) survives on the classic copy.
  expect(shown.stdout).toContain(`(original: ${event.id})`);

  writeFileSync(fixMarker, 'ok');
  const dry = await cli(['dlq', 'resubmit', ...connection(), '--event-id', event.id, '--dry-run', '--json']);
  expect(JSON.parse(dry.stdout)).toEqual([
    expect.objectContaining({ action: 'would resubmit', attempt: 1, resubmission: 1 }),
  ]);
  expect(
    JSON.parse((await cli(['dlq', 'list', ...connection(), '--event-id', event.id, '--json'])).stdout),
  ).toHaveLength(1);

  const done = await cli(['dlq', 'resubmit', ...connection(), '--event-id', event.id]);
  expect(done.status).toBe(0);
  expect(done.stdout).toMatch(/JobFailed: resubmitted as resubmit:\S+ \(.*resubmission 1\)/);
  expect(
    JSON.parse((await cli(['dlq', 'list', ...connection(), '--event-id', event.id, '--json'])).stdout),
  ).toEqual([]);
}, 150_000);

// The trigger honours the signed `dispatch-resubmission` mark (made with the stack's own key, which the CLI is
// given too): a new instance generation, not a duplicate.
it('runs the resubmitted event again from attempt 1 and it succeeds', async () => {
  const event = fixable;
  // A fresh attempt count: the resubmitted event runs again from attempt 1, in resubmission generation 1.
  const succeeded = await eventually(
    'the resubmitted event to succeed',
    async () => {
      const { jobs } = await getEventJobs(stack.httpBase, event.id);
      return jobs.some((j) => j.phase === 'Succeeded') ? jobs : undefined;
    },
    60_000,
  );
  // Attempt 1 again, in resubmission generation 1 (generation 0's attempt 1 was the dead-lettered one).
  // Both generations stay in the event's history (the ledger keeps each generation's attempts apart).
  expect(succeeded).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ attempt: 1, phase: 'Succeeded', resubmission: 1 }),
      expect.objectContaining({ attempt: 1, phase: 'DeadLettered', resubmission: 0 }),
    ]),
  );
}, 150_000);

it('resubmits with signed marks, the producer properties and one MessageId however often it runs', async () => {
  const event = cloudEvent('ops.parked');
  // The same original message dead-lettered (as the trigger would in sdk mode); the second time it stands for
  // a first run that crashed between its send and its removal of the dead letter.
  const send = async (): Promise<void> => {
    const messageId = `${event.id}-${Math.random()}`;
    const sender = client.createSender('parked');
    await sender.sendMessages({
      body: Buffer.from(JSON.stringify(event)),
      messageId,
      correlationId: 'corr-1',
      subject: 'orders',
      contentType: 'application/cloudevents+json',
      applicationProperties: { tenant: 'acme' },
    });
    await sender.close();
    const receiver = client.createReceiver('parked');
    for (const received of await receiver.receiveMessages(10, { maxWaitTimeInMs: 3000 })) {
      if (received.messageId === messageId)
        await receiver.deadLetterMessage(received, {
          deadLetterReason: 'JobFailed',
          deadLetterErrorDescription: 'exit 3',
        });
      else await receiver.abandonMessage(received);
    }
    await receiver.close();
  };
  await send();
  const report = await cli([
    'dlq',
    'resubmit',
    ...connection(),
    '--queue',
    'parked',
    '--reason',
    'JobFailed',
    '--json',
  ]);
  const [first] = JSON.parse(report.stdout) as Array<{
    action: string;
    messageId: string;
    resubmission: number;
    attempt: number;
  }>;
  expect(first).toMatchObject({ action: 'resubmitted', resubmission: 1, attempt: 1 });

  // As if the first run had crashed after its send: the dead letter is still there, and is resubmitted again.
  await send();
  const [second] = JSON.parse(
    (await cli(['dlq', 'resubmit', ...connection(), '--queue', 'parked', '--json'])).stdout,
  ) as Array<{ messageId: string }>;
  expect(second?.messageId).toBe(first?.messageId);

  const receiver = client.createReceiver('parked');
  const queued = await receiver.peekMessages(10);
  await receiver.close();
  expect(queued).toHaveLength(1);
  const [message] = queued;
  expect(message).toMatchObject({ messageId: first?.messageId, correlationId: 'corr-1', subject: 'orders' });
  expect(message?.applicationProperties).toMatchObject({ tenant: 'acme', 'dispatch-resubmission': 1 });
  const key = parseSigningKey('test', signingKey);
  if ('issue' in key) throw new Error(key.issue);
  const reading = new DispatchSigner({ current: key.key }).read(
    { source: String(event.source), id: event.id },
    message?.applicationProperties ?? {},
  );
  expect(reading).toMatchObject({ kind: 'signed', marks: { resubmission: 1 } });
  expect(existsSync(fixMarker)).toBe(true);
}, 120_000);
