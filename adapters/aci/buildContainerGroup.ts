import { posix } from 'node:path';
import type { ContainerGroup, EnvironmentVariable } from '@azure/arm-containerinstance';
import { PermanentProviderError } from '../../shared/errors/dispatchErrors';
import { DISPATCH_OUTPUT_FILE_ENV, wrapCommandForOutputFile } from '../../shared/jobOutputs/outputFileReport';
import type { JobSpec, JobTarget } from './jobProvider';

/** The single container of every job group; a constant so logs() needs no extra GET to learn it. */
export const jobContainerName = 'job';

/** Environment variables the dispatcher owns; a route may not set them. */
export const dispatchEventEnv = 'DISPATCH_EVENT';
export const dispatchEventFileEnv = 'DISPATCH_EVENT_FILE';
export const dispatchCallbackUrlEnv = 'DISPATCH_CALLBACK_URL';
export const dispatchCallbackTokenEnv = 'DISPATCH_CALLBACK_TOKEN';
/** Every name the dispatcher sets or may set in a job's environment (claim check and outputs included). */
const reservedEnvNames = new Set([
  dispatchEventEnv,
  dispatchEventFileEnv,
  'DISPATCH_EVENT_URL',
  dispatchCallbackUrlEnv,
  dispatchCallbackTokenEnv,
  DISPATCH_OUTPUT_FILE_ENV,
]);

/**
 * Tag names written on every job group (portal filtering, cost analysis, the orphan sweeper). A route's own
 * tags may not use the `dispatcher-` prefix (shared/routes/routeSchema.ts).
 */
export const JobTag = {
  instanceId: 'dispatcher-instance',
  route: 'dispatcher-route',
  eventId: 'dispatcher-event',
  attempt: 'dispatcher-attempt',
  /** ISO-8601 time of the create request: the sweeper's clock for a group whose orchestration is missing. */
  created: 'dispatcher-created',
} as const;

/** ARM limits a tag value to 256 characters. */
const maxTagValueLength = 256;

const eventVolumeName = 'dispatch-event';
const outputVolumeName = 'dispatch-output';

/**
 * Turns a job spec into the ARM container group body. Pure, so the exact request shape is unit-testable.
 * `defaultIdentityResourceId` is the provider-wide job identity (DISPATCH_JOB_IDENTITY_ID) used when the
 * spec does not name its own.
 */
export function buildContainerGroup(
  spec: JobSpec,
  target: JobTarget,
  defaultIdentityResourceId?: string,
): ContainerGroup {
  const where = `job ${spec.name} (route ${spec.route})`;
  const environmentVariables: EnvironmentVariable[] = [];
  const seen = new Set<string>();
  const add = (variable: EnvironmentVariable, kind: string): void => {
    if (seen.has(variable.name)) {
      throw new PermanentProviderError(
        `${where}: environment variable ${variable.name} (${kind}) is set twice`,
        'InvalidJobSpec',
      );
    }
    seen.add(variable.name);
    environmentVariables.push(variable);
  };
  for (const [name, value] of Object.entries(spec.env)) {
    assertNotReserved(name, where);
    add({ name, value }, 'env');
  }
  for (const [name, secureValue] of Object.entries(spec.secureEnv)) {
    assertNotReserved(name, where);
    add({ name, secureValue }, 'secretEnv');
  }

  const group: ContainerGroup = {
    location: target.location,
    tags: {
      ...spec.tags,
      ...(spec.createdAt !== undefined ? { [JobTag.created]: spec.createdAt } : {}),
      [JobTag.instanceId]: toTagValue(spec.instanceId),
      [JobTag.route]: toTagValue(spec.route),
      [JobTag.eventId]: toTagValue(spec.eventId),
      [JobTag.attempt]: String(spec.attempt),
    },
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: jobContainerName,
        image: spec.image,
        command: spec.command && spec.command.length > 0 ? [...spec.command] : undefined,
        resources: { requests: { cpu: spec.cpu, memoryInGB: spec.memoryInGB } },
        environmentVariables,
      },
    ],
  };
  const container = group.containers[0]!;

  if (spec.eventUrl !== undefined) {
    // Claim check: the URL carries a SAS, so it is a secure value like the token.
    environmentVariables.push({ name: 'DISPATCH_EVENT_URL', secureValue: spec.eventUrl });
  } else if (spec.eventDelivery === 'file') {
    if (!spec.eventFilePath)
      throw new PermanentProviderError(
        `${where}: eventDelivery 'file' needs eventFilePath`,
        'InvalidJobSpec',
      );
    const { mountPath, fileName } = splitFilePath(spec.eventFilePath, 'eventFilePath', where);
    // ACI secret volumes take base64 values and appear as files named after their keys (tmpfs, read-only).
    group.volumes = [
      {
        name: eventVolumeName,
        secret: { [fileName]: Buffer.from(spec.eventJson, 'utf8').toString('base64') },
      },
    ];
    container.volumeMounts = [{ name: eventVolumeName, mountPath, readOnly: true }];
    environmentVariables.push({ name: dispatchEventFileEnv, value: posix.join(mountPath, fileName) });
  } else {
    environmentVariables.push({ name: dispatchEventEnv, secureValue: spec.eventJson });
  }

  if (spec.callback) {
    environmentVariables.push({ name: dispatchCallbackUrlEnv, value: spec.callback.url });
    // A secure value: ARM never returns it, and the emulator never echoes or persists it.
    environmentVariables.push({ name: dispatchCallbackTokenEnv, secureValue: spec.callback.token });
  }

  if (spec.outputFile !== undefined) addOutputFile(group, spec.outputFile, where);

  const identity = spec.identityResourceId ?? defaultIdentityResourceId;
  if (identity) {
    group.identity = { type: 'UserAssigned', userAssignedIdentities: { [identity]: {} } };
  }
  if (spec.registryServer) {
    if (!identity) {
      throw new PermanentProviderError(
        `${where}: registry ${spec.registryServer} needs an identity to pull with (route job identity or DISPATCH_JOB_IDENTITY_ID)`,
        'InvalidJobSpec',
      );
    }
    group.imageRegistryCredentials = [{ server: spec.registryServer, identity }];
  }
  return group;
}

/**
 * DISPATCH_OUTPUT_FILE: its directory is an empty volume (writable whatever user the image runs as, and the
 * emulator's per-group directory offline), and the command runs under the epilogue that prints the file at the
 * end of the log. An image's own entrypoint is unknown here, so a command is required (routes are checked for
 * that when loaded).
 */
function addOutputFile(group: ContainerGroup, outputFile: string, where: string): void {
  const container = group.containers[0]!;
  if (!container.command) {
    throw new PermanentProviderError(
      `${where}: outputFile needs a command to run under the output epilogue`,
      'InvalidJobSpec',
    );
  }
  const { mountPath } = splitFilePath(outputFile, 'outputFile', where);
  if (container.volumeMounts?.some((m) => m.mountPath === mountPath)) {
    throw new PermanentProviderError(
      `${where}: outputFile '${outputFile}' is in the event file's directory`,
      'InvalidJobSpec',
    );
  }
  group.volumes = [...(group.volumes ?? []), { name: outputVolumeName, emptyDir: {} }];
  container.volumeMounts = [...(container.volumeMounts ?? []), { name: outputVolumeName, mountPath }];
  container.environmentVariables!.push({
    name: DISPATCH_OUTPUT_FILE_ENV,
    value: posix.normalize(outputFile),
  });
  container.command = wrapCommandForOutputFile(container.command);
}

/** Tag values: no control characters, at most 256 characters (event ids are producer-chosen). */
export function toTagValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[\u0000-\u001f\u007f]/g, '_');
  return cleaned.length <= maxTagValueLength ? cleaned : cleaned.slice(0, maxTagValueLength);
}

function assertNotReserved(name: string, where: string): void {
  if (reservedEnvNames.has(name)) {
    throw new PermanentProviderError(
      `${where}: environment variable ${name} is reserved for the dispatcher`,
      'InvalidJobSpec',
    );
  }
}

function splitFilePath(
  path: string | undefined,
  field: string,
  where: string,
): { mountPath: string; fileName: string } {
  if (!path) throw new PermanentProviderError(`${where}: ${field} is empty`, 'InvalidJobSpec');
  const normalized = posix.normalize(path);
  const mountPath = posix.dirname(normalized);
  const fileName = posix.basename(normalized);
  if (
    !posix.isAbsolute(normalized) ||
    normalized.includes(':') ||
    mountPath === '/' ||
    fileName === '' ||
    fileName === '..'
  ) {
    throw new PermanentProviderError(
      `${where}: ${field} '${path}' must be an absolute file path below a directory other than / (no ':')`,
      'InvalidJobSpec',
    );
  }
  return { mountPath, fileName };
}
