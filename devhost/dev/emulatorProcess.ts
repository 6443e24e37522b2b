import type { EmulatorKind, EmulatorProcessReport, EmulatorProcessRequest } from './startEmulatorProcess';

/**
 * Entry of an emulator child process started by startEmulatorProcess (forked, with an IPC channel).
 * argv: `<aci|servicebus> '<options JSON>'`. Reports `{ready}` or `{failed}`, then `{log}` lines; `{close}` stops
 * the emulator cleanly and exits. When the parent goes away without closing it (killed, crashed), this process
 * exits at once, as the emulator would have died with the parent had it run inside it.
 */
interface Emulator {
  close(options?: unknown): Promise<void>;
}

function report(message: EmulatorProcessReport, then?: () => void): void {
  if (process.connected && process.send) process.send(message, () => then?.());
  else then?.();
}

async function start(kind: EmulatorKind, options: object, log: (line: string) => void): Promise<Emulator> {
  if (kind === 'aci') {
    const { startAciEmulator } = await import('../aci/startAciEmulator');
    return startAciEmulator({ ...options, log });
  }
  if (kind === 'servicebus') {
    const { startServiceBusEmulator } = await import('../servicebus/startServiceBusEmulator');
    return startServiceBusEmulator({ ...options, log });
  }
  throw new Error(
    `emulator process: unknown emulator kind ${JSON.stringify(kind)} (expected aci or servicebus)`,
  );
}

async function main(): Promise<void> {
  // Ctrl-C reaches the whole process group; the parent decides when the emulator stops.
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => process.exit(0));
  let emulator: Emulator | undefined;
  const stop = (options?: unknown): void => {
    (emulator?.close(options) ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`emulator close failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('message', (request: EmulatorProcessRequest) => {
    if (request.close) stop(request.options);
  });
  process.once('SIGTERM', () => stop());
  const kind = process.argv[2] as EmulatorKind;
  try {
    const options = JSON.parse(process.argv[3] ?? '{}') as object;
    emulator = await start(kind, options, (line) => report({ log: line }));
  } catch (err) {
    report({ failed: err instanceof Error ? err.message : String(err) }, () => process.exit(1));
    return;
  }
  // Everything the emulator reports except its close() (the parent gets a close of its own).
  const ready = Object.fromEntries(
    Object.entries(emulator as unknown as Record<string, unknown>).filter(([, v]) => typeof v !== 'function'),
  );
  report({ ready });
}

void main();
