import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import {
  cloudEvent,
  eventually,
  launchDevStack,
  peekResults,
  repoRoot,
  sendRaw,
  waitForSettled,
  type JobRow,
  type RunningStack,
  type SettledResult,
} from './devStackHarness';

/**
 * Output files on the offline stack: the ACI emulator runs the wrapped command (`/bin/sh` and the epilogue) as a
 * local process, the orchestration reads the report from the log it archives in Azurite, and the output (or
 * why there is none) reaches the status API and the result event.
 */
const routesFile = join(repoRoot, 'test', 'fixtures', 'e2e', 'outputs.routes.json');

let stack: RunningStack;
let client: ServiceBusClient;

beforeAll(async () => {
  stack = await launchDevStack({ routesFile });
  client = new ServiceBusClient(stack.connectionString);
}, 90_000);

afterAll(async () => {
  await client?.close();
  await stack?.stop();
});

const explain = (): string => `\n--- dev stack log (tail) ---\n${stack.output().slice(-4000)}`;

/** Sends an event to the output-file route and waits for its one attempt to settle. */
async function run(
  data: Record<string, unknown>,
  type = 'e2e.output',
): Promise<{ job: JobRow; result: SettledResult; id: string }> {
  const event = cloudEvent(type, { data });
  await sendRaw(client, JSON.stringify(event), event.id);
  const [job] = await waitForSettled(stack.httpBase, event.id, 1, 30_000).catch((err: Error) => {
    throw new Error(err.message + explain());
  });
  const result = await eventually('the result event', async () =>
    (await peekResults(client)).find((r) => r.eventId === event.id),
  );
  return { job: job!, result, id: event.id };
}

async function readBlob(url: string): Promise<string> {
  const [, , container, ...name] = new URL(url).pathname.split('/');
  const blob = BlobServiceClient.fromConnectionString(stack.storageConnectionString)
    .getContainerClient(container ?? '')
    .getBlobClient(decodeURIComponent(name.join('/')));
  return (await blob.downloadToBuffer()).toString('utf8');
}

describe('job output files (offline stack)', () => {
  it('reads a JSON output file into the status API and the result event; the archived log keeps the report', async () => {
    const output = { rows: 42, name: 'Zoë', items: [1, 2, { deep: true }] };
    const { job, result, id } = await run({ output });
    expect(job).toMatchObject({
      route: 'out-file',
      phase: 'Succeeded',
      exitCode: 0,
      output,
      outputError: null,
    });
    expect(result).toMatchObject({ outcome: 'Succeeded', exitCode: 0, output });
    expect(result.outputError).toBeUndefined();

    const status = (await (await fetch(`${stack.httpBase}/events/${id}`)).json()) as {
      jobs: Array<{ logUrl?: string; logTail: string | null }>;
    };
    // The tail shows the job's own lines; the archive keeps everything it printed.
    expect(status.jobs[0]?.logTail).toMatch(/job done, wrote \d+ bytes$/);
    expect(status.jobs[0]?.logTail).not.toContain('@@dispatch-output');
    const archived = await readBlob(status.jobs[0]?.logUrl ?? '');
    expect(archived).toMatch(/^@@dispatch-output v1 begin \d+$/m);
    expect(archived).toMatch(/@@dispatch-output v1 end \d+ \d+\n?$/);
  }, 60_000);

  it('keeps a failing exit code: a job that wrote its output and exited 3 still fails, with its output', async () => {
    const { job, result } = await run({ output: { partial: true }, exitCode: 3 });
    expect(job).toMatchObject({ phase: 'DeadLettered', exitCode: 3, output: { partial: true } });
    expect(result).toMatchObject({ outcome: 'DeadLettered', exitCode: 3, output: { partial: true } });
  }, 60_000);

  it.each([
    ['a file over 64 KB', { outputBytes: 70_000 }, 'the output file is 70000 bytes, at most 65536 allowed'],
    ['a file that is not JSON', { outputText: 'rows: 42' }, /^the output file is not JSON: /],
    ['no file', {}, 'the job wrote no file at DISPATCH_OUTPUT_FILE'],
  ])(
    'settles the job as it ended and says why there is no output for %s',
    async (_name, data, error) => {
      const { job, result } = await run(data);
      const expected: unknown = typeof error === 'string' ? error : expect.stringMatching(error);
      expect(job).toMatchObject({ phase: 'Succeeded', exitCode: 0, output: null, outputError: expected });
      expect(result).toMatchObject({ outcome: 'Succeeded', outputError: expected });
      expect(result.output).toBeUndefined();
    },
    60_000,
  );

  it('takes a file of exactly 64 KB', async () => {
    const { job } = await run({ outputBytes: 65_536 });
    expect(job).toMatchObject({ phase: 'Succeeded', outputError: null });
    expect((job.output as string).length).toBe(65_534);
  }, 60_000);

  it("prefers the callback's output to the file's", async () => {
    const { job, result } = await run({}, 'e2e.output-both');
    expect(job).toMatchObject({
      route: 'out-both',
      phase: 'Succeeded',
      callback: 'received',
      output: { from: 'callback' },
      outputError: null,
    });
    expect(result).toMatchObject({ output: { from: 'callback' } });
  }, 60_000);
});
