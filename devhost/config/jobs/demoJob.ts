import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The "container" the sample images run in the offline stack (see ../images.json). It reads the event the
 * way a real job would (DISPATCH_EVENT, or the mounted file named by DISPATCH_EVENT_FILE) and behaves as
 * its image says: `hello` greets and exits 0, `fail` exits non-zero, `sleep` outlives short timeouts, `echo`
 * prints the event, `report` writes DISPATCH_OUTPUT_FILE. The event's `data` can steer it: `exitCode`,
 * `sleepSeconds`, `name`; for `report`, `output` (written as JSON) or `outputText` (written as is, e.g. to show
 * what a file that is not JSON gives) or `outputBytes` (a JSON string of that many bytes), or none of them to
 * write no file.
 */
interface DemoData {
  name?: string;
  exitCode?: number;
  sleepSeconds?: number;
  output?: unknown;
  outputText?: string;
  outputBytes?: number;
}

function readEvent(): { event: Record<string, unknown>; via: string } {
  const fromEnv = process.env.DISPATCH_EVENT;
  if (fromEnv) return { event: JSON.parse(fromEnv) as Record<string, unknown>, via: 'env' };
  const file = process.env.DISPATCH_EVENT_FILE;
  if (file)
    return { event: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>, via: `file ${file}` };
  throw new Error('no event: neither DISPATCH_EVENT nor DISPATCH_EVENT_FILE is set');
}

function main(): void {
  const mode = process.argv[2] ?? 'hello';
  const { event, via } = readEvent();
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as DemoData;
  console.log(`event ${String(event.id)} (${String(event.type)}) received via ${via}`);
  switch (mode) {
    case 'hello':
      console.log(`Hello, ${data.name ?? 'world'}!`);
      process.exitCode = data.exitCode ?? 0;
      return;
    case 'echo':
      console.log(JSON.stringify(event));
      process.exitCode = data.exitCode ?? 0;
      return;
    case 'fail':
      console.error(`failing on purpose with exit code ${data.exitCode ?? 1}`);
      process.exitCode = data.exitCode ?? 1;
      return;
    case 'sleep': {
      const seconds = data.sleepSeconds ?? 3600;
      console.log(`sleeping ${seconds}s`);
      setTimeout(() => {
        console.log('woke up');
        process.exitCode = data.exitCode ?? 0;
      }, seconds * 1000);
      return;
    }
    case 'report':
      report(data);
      process.exitCode = data.exitCode ?? 0;
      return;
    default:
      console.error(`unknown demo mode '${mode}'`);
      process.exitCode = 2;
  }
}

function report(data: DemoData): void {
  const file = process.env.DISPATCH_OUTPUT_FILE;
  if (!file) throw new Error('no DISPATCH_OUTPUT_FILE: the route sets no job.outputFile');
  const text =
    data.outputText ??
    (data.outputBytes !== undefined
      ? JSON.stringify('x'.repeat(Math.max(0, data.outputBytes - 2)))
      : data.output !== undefined
        ? JSON.stringify(data.output)
        : undefined);
  if (text === undefined) {
    console.log('writing no output file');
    return;
  }
  writeFileSync(file, text);
  console.log(`wrote ${Buffer.byteLength(text)} bytes to ${file}`);
}

main();
