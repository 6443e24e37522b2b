import * as fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { AciQuota } from '../aci/aciQuota';
import type { FaultRates } from '../aci/faultRates';
import { startAciEmulator } from '../aci/startAciEmulator';
import { startServiceBusEmulator } from '../servicebus/startServiceBusEmulator';
import { ACI_FAULTS_HELP, ACI_QUOTA_HELP, aciQuotaArgument, faultRatesArgument } from './aciFlagParsers';

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 = any free port)');
  }
  return n;
}

function existingFile(value: string): string {
  if (!fs.existsSync(value)) throw new InvalidArgumentError(`file not found: ${value}`);
  if (!fs.statSync(value).isFile()) throw new InvalidArgumentError(`not a file: ${value}`);
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function logger(verbose: boolean | undefined): ((line: string) => void) | undefined {
  return verbose ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
}

/**
 * Prints the address line, then runs until SIGINT/SIGTERM and closes; a second signal exits at once.
 * The handlers are installed BEFORE the line is printed: whoever waits for the line may signal right away.
 */
async function runInForeground(name: string, line: string, close: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`${signal} again: exiting without a clean shutdown\n`);
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`${signal}: stopping the ${name} emulator\n`);
      close().then(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve();
      }, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.stdout.write(`${line}\n`);
  });
}

interface ServiceBusFlags {
  port: number;
  host: string;
  config: string;
  state?: string;
  verbose?: boolean;
}

interface AciFlags {
  port: number;
  host: string;
  images?: string;
  certDir?: string;
  state?: string;
  unavailableLocation?: string[];
  imagePullTimeout?: number;
  quota?: AciQuota;
  faults?: FaultRates;
  verbose?: boolean;
}

/** `dispatcher emulate servicebus|aci`: one emulator in the foreground, printing one line with its address. */
export function registerEmulateCommands(program: Command): void {
  const emulate = program
    .command('emulate')
    .description('run one local emulator in the foreground (Ctrl+C stops it)');

  emulate
    .command('servicebus')
    .description(
      'Service Bus emulator (AMQP 1.0) for the official @azure/service-bus SDK; prints its connection string',
    )
    .option('--port <port>', 'AMQP port (0 = any free port)', parsePort, 5672)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .requiredOption('--config <file>', "entities in the official emulator's Config.json format", existingFile)
    .option('--state <dir>', 'persist messages there and reload them on start')
    .option('--verbose', 'log every connection and operation to stderr')
    .action(async (flags: ServiceBusFlags) => {
      const emulator = await startServiceBusEmulator({
        port: flags.port,
        host: flags.host,
        config: flags.config,
        ...(flags.state ? { stateDir: flags.state } : {}),
        ...(flags.verbose ? { log: logger(true) } : {}),
      });
      await runInForeground('Service Bus', emulator.connectionString, () => emulator.close());
    });

  emulate
    .command('aci')
    .description('ARM Microsoft.ContainerInstance emulator (HTTPS): each container runs as a local process')
    .option('--port <port>', 'HTTPS port (0 = any free port)', parsePort, 8443)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option(
      '--images <file>',
      'JSON map { "<image>": ["argv0", ...] } for containers given no command',
      existingFile,
    )
    .option(
      '--state <dir>',
      'persist container groups (never secrets) and their logs there; reload them on start',
    )
    .option(
      '--cert-dir <dir>',
      'where the CA and server certificate are kept (default: a folder in the OS temp dir)',
    )
    .option(
      '--unavailable-location <location>',
      'answer creates there with a capacity error (repeatable)',
      collect,
    )
    .option(
      '--image-pull-timeout <seconds>',
      'how long a group with an unknown image stays Creating before failing',
      (value: string) => {
        const n = Number(value);
        if (!Number.isFinite(n) || n <= 0)
          throw new InvalidArgumentError('expected a positive number of seconds');
        return n;
      },
    )
    .option('--quota <limits>', ACI_QUOTA_HELP, aciQuotaArgument)
    .option('--faults <rates>', ACI_FAULTS_HELP, faultRatesArgument)
    .option('--verbose', 'log every request and container start/exit to stderr')
    .action(async (flags: AciFlags) => {
      const emulator = await startAciEmulator({
        port: flags.port,
        host: flags.host,
        ...(flags.images ? { imagesFile: flags.images } : {}),
        ...(flags.certDir ? { certDir: flags.certDir } : {}),
        ...(flags.state ? { stateDir: flags.state } : {}),
        ...(flags.unavailableLocation ? { unavailableLocations: flags.unavailableLocation } : {}),
        ...(flags.imagePullTimeout !== undefined
          ? { imagePullTimeoutMs: flags.imagePullTimeout * 1000 }
          : {}),
        ...(flags.quota ? { quota: flags.quota } : {}),
        ...(flags.faults ? { faults: flags.faults } : {}),
        ...(flags.verbose ? { log: logger(true) } : {}),
      });
      const line = `ARM endpoint: ${emulator.endpoint}  CA certificate: ${emulator.caCertPath} (export NODE_EXTRA_CA_CERTS=${emulator.caCertPath})`;
      await runInForeground('ACI', line, () => emulator.close());
    });
}
