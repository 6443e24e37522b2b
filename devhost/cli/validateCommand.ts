import { resolve } from 'node:path';
import { Command } from 'commander';
import { validateRoutesFile } from '../../shared/routes/loadRoutes';

/** `dispatcher validate <routes.json>`: every problem with its path; exit code 1 when there is any. */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('validate a routes file and print every error with its path')
    .argument('<routes>', 'routes file, e.g. routes.json')
    .action((file: string) => {
      const path = resolve(file);
      const result = validateRoutesFile(path);
      if (result.ok) {
        process.stdout.write(`${file}: valid\n`);
        return;
      }
      process.stderr.write(
        `${file}: ${result.errors.length} error(s)\n${result.errors.map((e) => `  ${e}`).join('\n')}\n`,
      );
      process.exitCode = 1;
    });
}
