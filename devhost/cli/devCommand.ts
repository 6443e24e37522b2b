import { Command, InvalidArgumentError, Option } from 'commander';
import type { LogLevel } from '@azure/functions';
import type { AciQuota } from '../aci/aciQuota';
import type { FaultRates } from '../aci/faultRates';
import { join } from 'node:path';
import { defaultAppRoot, startDevStack, type DevStackOptions } from '../dev/startDevStack';
import { ACI_FAULTS_HELP, ACI_QUOTA_HELP, aciQuotaArgument, faultRatesArgument } from './aciFlagParsers';
import { nextStepHint } from './devNextStep';
import { watchParent } from './watchParent';

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 = any free port)');
  return n;
}

function setting(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected NAME=VALUE, got "${value}"`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

/** bin/devPorts.js: plain JavaScript because `npm run dev` runs it before the build (one owner of the check). */
async function describeBusyPorts(args: string[]): Promise<string | undefined> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const devPorts = require(join(defaultAppRoot(), 'bin', 'devPorts.js')) as {
    describeBusyPorts(args: string[]): Promise<string | undefined>;
  };
  return devPorts.describeBusyPorts(args);
}

interface DevFlags {
  port: number;
  servicebusPort: number;
  aciPort: number;
  blobPort: number;
  tablePort: number;
  state?: string;
  routes: string;
  setting?: Record<string, string>;
  settlement?: 'classic' | 'sdk';
  logLevel: LogLevel;
  imagePullTimeout?: number;
  aciQuota?: AciQuota;
  aciFaults?: FaultRates;
}

/** `dispatcher dev`: the whole dispatcher offline (emulators, Durable engine, Functions host) until Ctrl-C. */
export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description(
      'run the whole dispatcher locally: Service Bus + ACI emulators, Durable engine and the built app',
    )
    .option('--port <port>', 'HTTP port of the Functions host (0 = any free port)', port, 7071)
    .option(
      '--servicebus-port <port>',
      'AMQP port of the Service Bus emulator (0 = any free port)',
      port,
      5672,
    )
    .option('--aci-port <port>', 'HTTPS port of the ACI (ARM) emulator', port, 0)
    .option('--blob-port <port>', 'Blob port of Azurite (0 = any free port)', port, 0)
    .option('--table-port <port>', 'Table port of Azurite (0 = any free port)', port, 0)
    .option('--state <dir>', 'persist Durable and emulator state there; a restart resumes in-flight work')
    .option('--routes <file>', 'routes file (DISPATCH_ROUTES_FILE)', './routes.json')
    .addOption(new Option('--settlement <mode>', 'DISPATCH_SETTLEMENT_MODE').choices(['classic', 'sdk']))
    .option('--setting <NAME=VALUE>', 'set an app setting (repeatable)', setting)
    .option('--aci-quota <limits>', `ACI emulator: ${ACI_QUOTA_HELP}`, aciQuotaArgument)
    .option('--aci-faults <rates>', `ACI emulator: ${ACI_FAULTS_HELP}`, faultRatesArgument)
    .addOption(
      new Option('--log-level <level>', 'minimum level of host and function logs')
        .choices(['trace', 'debug', 'information', 'warning', 'error'])
        .default('information'),
    )
    .addOption(
      new Option(
        '--image-pull-timeout <seconds>',
        'how long an unpullable image stays Creating (ACI emulator)',
      )
        .argParser(seconds)
        .hideHelp(),
    )
    .action(async (flags: DevFlags) => {
      const options: DevStackOptions = {
        httpPort: flags.port,
        serviceBusPort: flags.servicebusPort,
        aciPort: flags.aciPort,
        blobPort: flags.blobPort,
        tablePort: flags.tablePort,
        routesFile: flags.routes,
        logLevel: flags.logLevel,
        settings: {
          ...(flags.settlement ? { DISPATCH_SETTLEMENT_MODE: flags.settlement } : {}),
          ...(flags.setting ?? {}),
        },
        ...(flags.state ? { stateDir: flags.state } : {}),
        ...(flags.imagePullTimeout !== undefined
          ? { imagePullTimeoutMs: flags.imagePullTimeout * 1000 }
          : {}),
        ...(flags.aciQuota ? { aciQuota: flags.aciQuota } : {}),
        ...(flags.aciFaults ? { aciFaults: flags.aciFaults } : {}),
      };
      const busy = await describeBusyPorts([
        ...['--port', String(flags.port), '--servicebus-port', String(flags.servicebusPort)],
        ...['--aci-port', String(flags.aciPort)],
        ...['--blob-port', String(flags.blobPort), '--table-port', String(flags.tablePort)],
      ]);
      if (busy) throw new Error(`cannot start.\n${busy}`);
      const stack = await startDevStack(options);
      // Handlers first: whoever waits for "ready" may signal right away.
      const stopped = new Promise<string>((resolve) => {
        let stoppingSince: number | undefined;
        const stop = (why: string): void => {
          // Ctrl-C reaches this process twice: from the terminal (whole process group) and forwarded by npm.
          if (stoppingSince !== undefined && Date.now() - stoppingSince < 1000) return;
          if (stoppingSince !== undefined) {
            process.stderr.write(`${why} again: exiting without a clean shutdown\n`);
            process.exit(130);
          }
          stoppingSince = Date.now();
          resolve(why);
        };
        // SIGHUP: the terminal went away. All three reach this process directly under `npm run dev` (its script
        // execs the CLI, so npm's forwarded signal is not swallowed by an intermediate shell).
        for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
        watchParent(() => stop('parent process exited'));
      });
      process.stdout.write(
        `Service Bus: ${stack.serviceBusConnectionString}\nBlob: ${stack.storageConnectionString}\nHTTP: ${stack.httpBase}\nready\n${nextStepHint(stack, flags.routes)}\n`,
      );
      const outcome = await Promise.race([stopped, stack.failed]);
      const failure = outcome instanceof Error ? outcome : undefined;
      process.stderr.write(
        failure
          ? `dispatcher dev: ${failure.message}\nstopping the dev stack after this failure...\n`
          : `${outcome}: stopping the dev stack...${flags.state ? ` (running jobs keep running; start again with --state ${flags.state} to resume them)` : ''}\n`,
      );
      await stack.close().catch((err: unknown) => {
        process.stderr.write(`shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
      });
      // The app may hold clients it never closes (as in Azure, where the process is simply ended): exit.
      await new Promise<void>((resolve) =>
        process.stdout.write(failure ? 'stopped after a failure\n' : 'stopped\n', () => resolve()),
      );
      process.exit(failure ? 1 : 0);
    });
}
