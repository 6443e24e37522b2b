import { startDevStack, type DevStackOptions } from './startDevStack';

/**
 * `node dist/devhost/dev/devStackProcess.js '<DevStackOptions as JSON>'`: the dev stack in a process of its
 * own, for tests and benchmarks that must drive it strictly from outside (and may kill it to simulate a
 * crash). Prints one JSON line `{"ready":true,"serviceBusConnectionString":...,"httpBase":...}` (and sends it
 * as a message when started with an IPC channel); SIGTERM or SIGINT stops it cleanly. Host logs go to stderr,
 * the app's own console output to stdout after the ready line.
 */
async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as DevStackOptions & {
    logLevel?: DevStackOptions['logLevel'];
  };
  const { consoleLogSink } = await import('../functionsHost/hostLog');
  const sink = consoleLogSink(options.logLevel ?? 'information');
  const stack = await startDevStack({
    ...options,
    // stdout carries only the ready line.
    log: (record) => {
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = process.stderr.write.bind(process.stderr);
      try {
        sink(record);
      } finally {
        process.stdout.write = write;
      }
    },
  });
  const ready = {
    ready: true,
    serviceBusConnectionString: stack.serviceBusConnectionString,
    storageConnectionString: stack.storageConnectionString,
    httpBase: stack.httpBase,
    armEndpoint: stack.armEndpoint,
  };
  // Started with an IPC channel (the load test), the ready line goes there too, so the parent can send stdout
  // to /dev/null instead of draining the app's log lines through a pipe.
  process.send?.(ready);
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stop = (): void => {
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // An emulator died and could not be restarted (see startDevStack): say so and end non-zero.
  void stack.failed.then((err) => {
    process.stderr.write(`dev stack failed: ${err.message}\n`);
    stack.close().then(
      () => process.exit(1),
      () => process.exit(1),
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `dev stack failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
