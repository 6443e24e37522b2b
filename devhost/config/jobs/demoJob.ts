import { readFileSync } from 'node:fs';

/**
 * The "container" the sample images run in the offline stack (see ../images.json). It reads the event the
 * way a real job would (DISPATCH_EVENT, or the mounted file named by DISPATCH_EVENT_FILE) and behaves as
 * its image says: `hello` greets and exits 0, `fail` exits non-zero, `sleep` outlives short timeouts, `echo`
 * prints the event. The event's `data` can steer it: `exitCode`, `sleepSeconds`, `name`.
 */
interface DemoData {
  name?: string;
  exitCode?: number;
  sleepSeconds?: number;
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
    default:
      console.error(`unknown demo mode '${mode}'`);
      process.exitCode = 2;
  }
}

main();
