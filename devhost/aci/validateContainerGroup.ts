import { ArmError, invalidRequest } from './armError';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface EnvironmentVariableSpec {
  name: string;
  value?: string;
  /** Kept only in memory to hand to the process; never echoed, logged or persisted. */
  secureValue?: string;
}

export interface VolumeMountSpec {
  name: string;
  mountPath: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  environmentVariables: EnvironmentVariableSpec[];
  cpu: number;
  memoryInGB: number;
  volumeMounts: VolumeMountSpec[];
  ports: { port: number; protocol?: string }[];
}

export interface VolumeSpec {
  name: string;
  /** file name -> base64 contents */
  secret?: Record<string, string>;
  emptyDir?: boolean;
}

/** What the emulator keeps of a PUT body, validated and normalised. */
export interface ContainerGroupSpec {
  location: string;
  tags: Record<string, string>;
  osType: string;
  restartPolicy: RestartPolicy;
  sku: string;
  containers: ContainerSpec[];
  volumes: VolumeSpec[];
  /** Echoed back as given (no secrets in it). */
  identity?: unknown;
  /** Echoed back without passwords, as ARM does. */
  imageRegistryCredentials: { server: string; username?: string; identity?: string }[];
}

// ACI's naming rules: 1-63 chars, lower-case letters, digits and '-', not starting or ending with '-'.
const GROUP_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_CPU = 4;
const MAX_MEMORY_GB = 16;

export function validateContainerGroupName(name: string, what = 'container group'): void {
  if (!GROUP_NAME.test(name)) {
    throw new ArmError(
      400,
      what === 'container group' ? 'InvalidContainerGroupName' : 'InvalidContainerName',
      `The ${what} name '${name}' is invalid. The name must be 1 to 63 characters long, contain only lower case alphanumeric characters or '-', and must not start or end with '-'.`,
    );
  }
}

/**
 * A short rendering of a bad value for an error message. Never throws: a value nested thousands deep makes
 * JSON.stringify overflow the stack, and one bad body must not turn into a 500.
 */
function describe(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = Array.isArray(value) ? 'an array' : typeof value;
  }
  text ??= String(typeof value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

/** The identity as ARM echoes it: its type and the user-assigned identity ids, nothing else. */
function validateIdentity(value: unknown): unknown {
  if (!isRecord(value))
    throw invalidRequest(`The request content was invalid: 'identity' must be an object.`, 'identity');
  const type = value['type'];
  if (type !== undefined && typeof type !== 'string')
    throw invalidRequest(
      `The request content was invalid: 'identity.type' must be a string.`,
      'identity.type',
    );
  const assigned = value['userAssignedIdentities'];
  if (assigned !== undefined && assigned !== null && !isRecord(assigned))
    throw invalidRequest(
      `The request content was invalid: 'identity.userAssignedIdentities' must be an object.`,
      'identity.userAssignedIdentities',
    );
  return {
    ...(type !== undefined ? { type } : {}),
    ...(isRecord(assigned)
      ? { userAssignedIdentities: Object.fromEntries(Object.keys(assigned).map((id) => [id, {}])) }
      : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidRequest(
      `The request content was invalid: '${path}' is required and must be a non-empty string.`,
      path,
    );
  }
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw invalidRequest(`The request content was invalid: '${path}' must be a string.`, path);
  return value;
}

function validateResource(
  value: unknown,
  path: string,
  max: number,
  unit: string,
  containerName: string,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ArmError(
      400,
      'InvalidContainerResourceRequests',
      `The ${unit} request of container '${containerName}' is invalid: '${path}' must be a number greater than 0, got ${describe(value)}.`,
      {},
      path,
    );
  }
  if (value > max) {
    throw new ArmError(
      400,
      'ResourceRequestsNotSupported',
      `The ${unit} request '${value}' of container '${containerName}' exceeds the maximum of '${max}' allowed for a container group.`,
      {},
      path,
    );
  }
  return value;
}

function validateEnv(value: unknown, path: string): EnvironmentVariableSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw invalidRequest(`The request content was invalid: '${path}' must be an array.`, path);
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(item))
      throw invalidRequest(`The request content was invalid: '${at}' must be an object.`, at);
    const name = requireString(item['name'], `${at}.name`);
    if (!ENV_NAME.test(name)) {
      throw new ArmError(
        400,
        'InvalidEnvironmentVariable',
        `The environment variable name '${name}' at '${at}.name' is invalid: use letters, digits and '_', not starting with a digit.`,
        {},
        `${at}.name`,
      );
    }
    if (seen.has(name)) {
      throw new ArmError(
        400,
        'DuplicateEnvironmentVariable',
        `The environment variable '${name}' is defined twice ('${at}').`,
        {},
        at,
      );
    }
    seen.add(name);
    const plain = optionalString(item['value'], `${at}.value`);
    const secure = optionalString(item['secureValue'], `${at}.secureValue`);
    if (plain !== undefined && secure !== undefined) {
      throw new ArmError(
        400,
        'InvalidEnvironmentVariable',
        `The environment variable '${name}' at '${at}' has both 'value' and 'secureValue'; give only one.`,
        {},
        at,
      );
    }
    return {
      name,
      ...(plain !== undefined ? { value: plain } : {}),
      ...(secure !== undefined ? { secureValue: secure } : {}),
    };
  });
}

function validateContainer(value: unknown, index: number, volumeNames: Set<string>): ContainerSpec {
  const at = `properties.containers[${index}]`;
  if (!isRecord(value))
    throw invalidRequest(`The request content was invalid: '${at}' must be an object.`, at);
  const name = requireString(value['name'], `${at}.name`);
  validateContainerGroupName(name, 'container');
  const props = value['properties'];
  if (!isRecord(props))
    throw invalidRequest(
      `The request content was invalid: '${at}.properties' is required.`,
      `${at}.properties`,
    );
  const image = requireString(props['image'], `${at}.properties.image`);
  let command: string[] | undefined;
  if (props['command'] !== undefined && props['command'] !== null) {
    const raw = props['command'];
    if (!Array.isArray(raw) || !raw.every((part): part is string => typeof part === 'string')) {
      throw invalidRequest(
        `The request content was invalid: '${at}.properties.command' must be an array of strings.`,
        `${at}.properties.command`,
      );
    }
    command = raw.length > 0 ? raw : undefined;
  }
  const resources = props['resources'];
  const requests = isRecord(resources) ? resources['requests'] : undefined;
  if (!isRecord(requests)) {
    throw invalidRequest(
      `The request content was invalid: '${at}.properties.resources.requests' is required (cpu and memoryInGB).`,
      `${at}.properties.resources.requests`,
    );
  }
  const cpu = validateResource(
    requests['cpu'],
    `${at}.properties.resources.requests.cpu`,
    MAX_CPU,
    'cpu',
    name,
  );
  const memoryInGB = validateResource(
    requests['memoryInGB'],
    `${at}.properties.resources.requests.memoryInGB`,
    MAX_MEMORY_GB,
    'memory',
    name,
  );
  const mountsRaw = props['volumeMounts'] ?? [];
  if (!Array.isArray(mountsRaw)) {
    throw invalidRequest(
      `The request content was invalid: '${at}.properties.volumeMounts' must be an array.`,
      `${at}.properties.volumeMounts`,
    );
  }
  const volumeMounts = mountsRaw.map((mount: unknown, i): VolumeMountSpec => {
    const mat = `${at}.properties.volumeMounts[${i}]`;
    if (!isRecord(mount))
      throw invalidRequest(`The request content was invalid: '${mat}' must be an object.`, mat);
    const volume = requireString(mount['name'], `${mat}.name`);
    const mountPath = requireString(mount['mountPath'], `${mat}.mountPath`);
    if (!volumeNames.has(volume)) {
      throw new ArmError(
        400,
        'VolumeMountNotFound',
        `The volume mount '${volume}' of container '${name}' ('${mat}') does not match any volume in 'properties.volumes'.`,
        {},
        mat,
      );
    }
    if (!mountPath.startsWith('/')) {
      throw new ArmError(
        400,
        'InvalidVolumeMountPath',
        `The mount path '${mountPath}' at '${mat}.mountPath' must be absolute.`,
        {},
        mat,
      );
    }
    return {
      name: volume,
      mountPath: mountPath.replace(/\/+$/, '') || '/',
      readOnly: mount['readOnly'] === true,
    };
  });
  const portsRaw = props['ports'] ?? [];
  const ports = Array.isArray(portsRaw)
    ? portsRaw.filter(isRecord).map((p) => ({
        // Only numbers or numeric strings: Number() of a deeply nested array would overflow the stack.
        port:
          typeof p['port'] === 'number' ? p['port'] : typeof p['port'] === 'string' ? Number(p['port']) : NaN,
        ...(typeof p['protocol'] === 'string' ? { protocol: p['protocol'] } : {}),
      }))
    : [];
  return {
    name,
    image,
    ...(command ? { command } : {}),
    environmentVariables: validateEnv(props['environmentVariables'], `${at}.properties.environmentVariables`),
    cpu,
    memoryInGB,
    volumeMounts,
    ports,
  };
}

function validateVolumes(value: unknown): VolumeSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw invalidRequest(
      `The request content was invalid: 'properties.volumes' must be an array.`,
      'properties.volumes',
    );
  const seen = new Set<string>();
  return value.map((volume: unknown, i): VolumeSpec => {
    const at = `properties.volumes[${i}]`;
    if (!isRecord(volume))
      throw invalidRequest(`The request content was invalid: '${at}' must be an object.`, at);
    const name = requireString(volume['name'], `${at}.name`);
    if (seen.has(name))
      throw new ArmError(
        400,
        'DuplicateVolumeName',
        `The volume name '${name}' is used twice ('${at}').`,
        {},
        at,
      );
    seen.add(name);
    if (isRecord(volume['secret'])) {
      const secret: Record<string, string> = {};
      for (const [file, content] of Object.entries(volume['secret'])) {
        if (
          typeof content !== 'string' ||
          !/^[A-Za-z0-9+/]*={0,2}$/.test(content) ||
          content.length % 4 !== 0
        ) {
          throw new ArmError(
            400,
            'InvalidSecretVolumeValue',
            `The secret volume '${name}' item '${file}' must be a base64-encoded string ('${at}.secret.${file}').`,
            {},
            `${at}.secret`,
          );
        }
        if (file.includes('/') || file === '.' || file === '..' || file.length === 0) {
          throw new ArmError(
            400,
            'InvalidSecretVolumeValue',
            `The secret volume '${name}' has an invalid file name '${file}'.`,
            {},
            `${at}.secret`,
          );
        }
        secret[file] = content;
      }
      return { name, secret };
    }
    if (volume['emptyDir'] !== undefined && volume['emptyDir'] !== null) return { name, emptyDir: true };
    const kind = ['azureFile', 'gitRepo'].find((k) => volume[k] !== undefined) ?? 'unknown';
    throw new ArmError(
      400,
      'UnsupportedVolumeType',
      `The volume '${name}' ('${at}') is of type '${kind}', which the local ACI emulator does not support (only 'secret' and 'emptyDir').`,
      {},
      at,
    );
  });
}

/** Validates a PUT body the way ARM/ACI would reject it: 400 with a code and a message naming the property. */
export function validateContainerGroup(body: unknown): ContainerGroupSpec {
  if (!isRecord(body))
    throw invalidRequest(
      'The request content was invalid and could not be deserialized: expected a JSON object.',
    );
  if (typeof body['location'] !== 'string' || body['location'].length === 0) {
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  const location = body['location'].toLowerCase().replace(/\s+/g, '');
  const tags: Record<string, string> = {};
  if (body['tags'] !== undefined && body['tags'] !== null) {
    if (!isRecord(body['tags']))
      throw invalidRequest(`The request content was invalid: 'tags' must be an object.`, 'tags');
    for (const [key, tagValue] of Object.entries(body['tags'])) {
      if (typeof tagValue !== 'string')
        throw invalidRequest(`The request content was invalid: tag '${key}' must be a string.`, 'tags');
      tags[key] = tagValue;
    }
  }
  const props = body['properties'];
  if (!isRecord(props))
    throw invalidRequest(`The request content was invalid: 'properties' is required.`, 'properties');
  const containersRaw = props['containers'];
  if (!Array.isArray(containersRaw) || containersRaw.length === 0) {
    throw invalidRequest(
      `The request content was invalid: 'properties.containers' is required and must contain at least one container.`,
      'properties.containers',
    );
  }
  const osType = requireString(props['osType'], 'properties.osType');
  if (osType !== 'Linux' && osType !== 'Windows') {
    throw invalidRequest(
      `The request content was invalid: 'properties.osType' must be 'Linux' or 'Windows', got '${osType}'.`,
      'properties.osType',
    );
  }
  const restartPolicy = props['restartPolicy'] ?? 'Always';
  if (restartPolicy !== 'Always' && restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    throw invalidRequest(
      `The request content was invalid: 'properties.restartPolicy' must be 'Always', 'OnFailure' or 'Never', got ${describe(restartPolicy)}.`,
      'properties.restartPolicy',
    );
  }
  const volumes = validateVolumes(props['volumes']);
  const volumeNames = new Set(volumes.map((v) => v.name));
  const containers = containersRaw.map((c: unknown, i) => validateContainer(c, i, volumeNames));
  const names = new Set<string>();
  for (const [i, c] of containers.entries()) {
    if (names.has(c.name)) {
      throw new ArmError(
        400,
        'DuplicateContainerName',
        `The container name '${c.name}' is used twice ('properties.containers[${i}]').`,
      );
    }
    names.add(c.name);
  }
  const totalCpu = containers.reduce((sum, c) => sum + c.cpu, 0);
  const totalMemory = containers.reduce((sum, c) => sum + c.memoryInGB, 0);
  if (totalCpu > MAX_CPU || totalMemory > MAX_MEMORY_GB) {
    throw new ArmError(
      400,
      'ResourceRequestsNotSupported',
      `The requested resource with '${totalCpu}' CPU and '${totalMemory}' GB memory exceeds the container group maximum of '${MAX_CPU}' CPU and '${MAX_MEMORY_GB}' GB memory.`,
    );
  }
  const credentialsRaw = props['imageRegistryCredentials'];
  const imageRegistryCredentials = Array.isArray(credentialsRaw)
    ? credentialsRaw.filter(isRecord).map((c) => ({
        server: typeof c['server'] === 'string' ? c['server'] : '',
        ...(typeof c['username'] === 'string' ? { username: c['username'] } : {}),
        ...(typeof c['identity'] === 'string' ? { identity: c['identity'] } : {}),
      }))
    : [];
  return {
    location,
    tags,
    osType,
    restartPolicy,
    sku: typeof props['sku'] === 'string' ? props['sku'] : 'Standard',
    containers,
    volumes,
    ...(body['identity'] !== undefined && body['identity'] !== null
      ? { identity: validateIdentity(body['identity']) }
      : {}),
    imageRegistryCredentials,
  };
}
