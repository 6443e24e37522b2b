import { ArmError } from './armError';
import type { ContainerGroupSpec } from './validateContainerGroup';

/**
 * Linux's MAX_ARG_STRLEN (32 pages = 128 KiB): the most one `NAME=value` string (with its NUL) may take in
 * execve. Past it, spawning the container fails with E2BIG.
 */
export const MAX_ENV_ENTRY_BYTES = 128 * 1024;
/**
 * The most the environment plus command line of one container may take. Linux allows a quarter of the stack
 * limit (2 MiB with the usual 8 MiB; macOS 1 MiB): 1 MiB leaves room for the variables the emulator adds and
 * works on both.
 */
export const MAX_PROCESS_ARGS_BYTES = 1024 * 1024;
/** What execve charges per string besides its bytes: the pointer in argv/envp. */
const POINTER_BYTES = 8;

function entryBytes(text: string): number {
  return Buffer.byteLength(text, 'utf8') + 1;
}

/**
 * ACI's own limits on environment variables are not documented; the emulator rejects, with a 400 in ARM's
 * shape, what the machine could not start (E2BIG) or what no process can carry (a NUL byte), instead of
 * failing the deployment later or crashing a spawn. Codes are the emulator's (see README).
 */
export function validateProcessLimits(spec: ContainerGroupSpec): void {
  spec.containers.forEach((container, ci) => {
    const base = `properties.containers[${ci}].properties`;
    let total = 0;
    container.environmentVariables.forEach((variable, vi) => {
      const value = variable.secureValue ?? variable.value ?? '';
      const target = `${base}.environmentVariables[${vi}]`;
      if (value.includes('\0'))
        throw new ArmError(
          400,
          'InvalidEnvironmentVariable',
          `The environment variable '${variable.name}' in container '${container.name}' contains a NUL character, which no process environment can hold.`,
          {},
          target,
        );
      const bytes = entryBytes(`${variable.name}=${value}`);
      if (bytes > MAX_ENV_ENTRY_BYTES)
        throw new ArmError(
          400,
          'EnvironmentVariableTooLarge',
          `The environment variable '${variable.name}' in container '${container.name}' takes ${bytes} bytes; at most ${MAX_ENV_ENTRY_BYTES} bytes (name, '=', value) are allowed per variable. Pass large data in a volume or by reference instead.`,
          {},
          target,
        );
      total += bytes + POINTER_BYTES;
    });
    (container.command ?? []).forEach((arg, ai) => {
      if (arg.includes('\0'))
        throw new ArmError(
          400,
          'InvalidContainerCommand',
          `The command of container '${container.name}' has a NUL character in argument ${ai}.`,
          {},
          `${base}.command[${ai}]`,
        );
      const bytes = entryBytes(arg);
      if (bytes > MAX_ENV_ENTRY_BYTES)
        throw new ArmError(
          400,
          'ContainerCommandTooLarge',
          `Argument ${ai} of the command of container '${container.name}' takes ${bytes} bytes; at most ${MAX_ENV_ENTRY_BYTES} are allowed per argument.`,
          {},
          `${base}.command[${ai}]`,
        );
      total += bytes + POINTER_BYTES;
    });
    if (total > MAX_PROCESS_ARGS_BYTES)
      throw new ArmError(
        400,
        'EnvironmentTooLarge',
        `The environment variables and command of container '${container.name}' take ${total} bytes in total; at most ${MAX_PROCESS_ARGS_BYTES} bytes are allowed. Pass large data in a volume or by reference instead.`,
        {},
        `${base}.environmentVariables`,
      );
  });
}
