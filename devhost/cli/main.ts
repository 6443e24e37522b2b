import { Command, CommanderError, type Option } from 'commander';
import { registerDevCommand } from './devCommand';
import { registerEmulateCommands } from './emulateCommands';
import { registerSendCommand } from './sendCommand';
import { registerValidateCommand } from './validateCommand';
import { registerWatchCommand } from './watchCommand';

/** Every command group of the CLI; adding one is one line here. */
const commandGroups: ReadonlyArray<(program: Command) => void> = [
  registerDevCommand,
  registerEmulateCommands,
  registerSendCommand,
  registerValidateCommand,
  registerWatchCommand,
];

/** An invalid command line: the message is all the user needs (no stack trace). */
export class CommandLineError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CommandLineError';
  }
}

export function createProgram(): Command {
  const program = new Command('dispatcher')
    .description(
      'Dispatcher: Service Bus events run as Azure Container Instances jobs. Local tooling and offline stack.',
    )
    // Throw instead of process.exit, and let the caller print the error once (bin/dispatcher.js prints err.message).
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError();
  for (const register of commandGroups) register(program);
  checkRequiredOptionsAfterUnknownOnes(program);
  return program;
}

/**
 * Commander checks required options BEFORE unknown ones, so a typo such as `send --typ demo.hello` was reported
 * as a missing `--type` instead of as the unknown `--typ` with its "Did you mean --type?" suggestion. Required
 * options are therefore checked in a preAction hook, which runs after commander's unknown-option check, with
 * commander's own wording.
 */
function checkRequiredOptionsAfterUnknownOnes(program: Command): void {
  const required = new Map<Command, Option[]>();
  const visit = (command: Command): void => {
    const options = command.options.filter((option) => option.mandatory);
    for (const option of options) option.mandatory = false;
    if (options.length > 0) required.set(command, options);
    command.commands.forEach(visit);
  };
  visit(program);
  program.hook('preAction', (_program, actionCommand) => {
    for (const option of required.get(actionCommand) ?? [])
      if (actionCommand.getOptionValue(option.attributeName()) === undefined)
        actionCommand.error(`error: required option '${option.flags}' not specified`, {
          code: 'commander.missingMandatoryOptionValue',
          exitCode: 1,
        });
  });
}

/** Entry point of bin/dispatcher.js; `argv` is process.argv (node, script, ...args). */
export async function main(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version end through here with exit code 0.
      if (err.exitCode === 0) return;
      // Commander has already written the usage to stderr; its own message is a placeholder.
      if (err.code === 'commander.help')
        throw new CommandLineError('a command is required (see the usage above)', err.exitCode);
      throw new CommandLineError(err.message.replace(/^error: /, ''), err.exitCode);
    }
    throw err;
  }
}
