import * as https from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import { isRestError, type RestError } from '@azure/core-rest-pipeline';
import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import { startAciEmulator, type RunningAciEmulator } from '../../../devhost/aci/startAciEmulator';
import { trustEmulatorCertificate } from '../../../devhost/aci/trustEmulatorCertificate';

const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000b1';
const RG = 'rg-limits';
const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'any-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};
let emulator: RunningAciEmulator;
let client: ContainerInstanceManagementClient;

function group(env: { name: string; value?: string; secureValue?: string }[]): ContainerGroup {
  return {
    location: 'westeurope',
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'main',
        image: 'local/env:1',
        command: [process.execPath, '-e', 'console.log(Object.keys(process.env).length)'],
        resources: { requests: { cpu: 0.1, memoryInGB: 0.1 } },
        environmentVariables: env,
      },
    ],
  };
}

async function expectRestError(promise: Promise<unknown>): Promise<RestError> {
  try {
    await promise;
  } catch (err) {
    if (isRestError(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail with a RestError');
}

function errorCode(err: RestError): string | undefined {
  return (err as RestError & { code?: string }).code;
}

/** A raw PUT of any body text; resolves with the status (0 if the connection broke). */
function rawPut(name: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: 'localhost',
        port: emulator.port,
        method: 'PUT',
        path: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ContainerInstance/containerGroups/${name}?api-version=2023-05-01`,
        ca: emulator.caCertPem,
        headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}

beforeAll(async () => {
  emulator = await startAciEmulator({ killGraceMs: 200 });
  trustEmulatorCertificate(emulator.caCertPem);
  client = new ContainerInstanceManagementClient(credential, SUBSCRIPTION, {
    endpoint: emulator.endpoint,
    retryOptions: { maxRetries: 0 },
  });
});

afterAll(async () => {
  await emulator?.close();
});

describe('environments a process cannot carry are a 400 in ARM shape, not a spawn E2BIG', () => {
  test('one variable past 128 KiB', async () => {
    const err = await expectRestError(
      client.containerGroups.beginCreateOrUpdate(
        RG,
        'big-env',
        group([
          { name: 'SMALL', value: 'x' },
          { name: 'DISPATCH_EVENT', value: 'e'.repeat(150 * 1024) },
        ]),
      ),
    );
    expect(err.statusCode).toBe(400);
    expect(errorCode(err)).toBe('EnvironmentVariableTooLarge');
    expect(err.message).toContain(
      `The environment variable 'DISPATCH_EVENT' in container 'main' takes 153616 bytes`,
    );
    expect((await expectRestError(client.containerGroups.get(RG, 'big-env'))).statusCode).toBe(404);
  });

  test('a secure value past 128 KiB too, without echoing it', async () => {
    const err = await expectRestError(
      client.containerGroups.beginCreateOrUpdate(
        RG,
        'big-secret',
        group([{ name: 'TOKEN', secureValue: 's'.repeat(200 * 1024) }]),
      ),
    );
    expect(errorCode(err)).toBe('EnvironmentVariableTooLarge');
    expect(err.message).not.toContain('sss');
  });

  test('the whole environment past 1 MiB', async () => {
    const env = Array.from({ length: 10 }, (_, i) => ({ name: `PART_${i}`, value: 'p'.repeat(120 * 1024) }));
    const err = await expectRestError(
      client.containerGroups.beginCreateOrUpdate(RG, 'big-total', group(env)),
    );
    expect(err.statusCode).toBe(400);
    expect(errorCode(err)).toBe('EnvironmentTooLarge');
    expect(err.message).toMatch(/take \d+ bytes in total; at most 1048576 bytes are allowed/);
  });

  test('a NUL character in a value', async () => {
    const err = await expectRestError(
      client.containerGroups.beginCreateOrUpdate(RG, 'nul-env', group([{ name: 'A', value: 'a\0b' }])),
    );
    expect(errorCode(err)).toBe('InvalidEnvironmentVariable');
  });

  test('just under the limit runs', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait(
      RG,
      'fits',
      group([{ name: 'BIG', value: 'f'.repeat(128 * 1024 - 'BIG='.length - 1) }]),
    );
    for (let i = 0; i < 100; i++) {
      if ((await client.containerGroups.get(RG, 'fits')).instanceView?.state === 'Succeeded') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const fits = await client.containerGroups.get(RG, 'fits');
    expect(fits.instanceView?.state).toBe('Succeeded');
    expect(fits.containers[0]?.instanceView?.currentState?.exitCode).toBe(0);
  });
});

describe('no request body crashes the emulator or makes it fail internally', () => {
  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  const valid = {
    location: 'westeurope',
    properties: {
      osType: 'Linux',
      containers: [
        {
          name: 'main',
          properties: {
            image: 'x',
            command: ['/bin/true'],
            resources: { requests: { cpu: 0.1, memoryInGB: 0.1 } },
          },
        },
      ],
    },
  };
  /** The valid body's text with the JSON text `value` put at `path` (keys / indexes). */
  function withValue(path: (string | number)[], value: string): string {
    const copy = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
    let at: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    at[path[path.length - 1] ?? ''] = '@VALUE@';
    // Spliced as text: the test itself cannot JSON.stringify a value nested 100,000 deep.
    return JSON.stringify(copy).replace('"@VALUE@"', value);
  }
  /** JSON texts of values that no field expects. */
  const nasty: string[] = [
    'null',
    '0',
    '"text"',
    '[]',
    `{"a":${deep(100_000)}}`,
    '-1e308',
    '{"toString":"x"}',
    '"\\u0000"',
  ];
  const paths: (string | number)[][] = [
    ['location'],
    ['tags'],
    ['identity'],
    ['properties'],
    ['properties', 'osType'],
    ['properties', 'restartPolicy'],
    ['properties', 'containers'],
    ['properties', 'volumes'],
    ['properties', 'containers', 0],
    ['properties', 'containers', 0, 'name'],
    ['properties', 'containers', 0, 'properties', 'command'],
    ['properties', 'containers', 0, 'properties', 'ports'],
    ['properties', 'containers', 0, 'properties', 'environmentVariables'],
    ['properties', 'containers', 0, 'properties', 'resources', 'requests', 'cpu'],
    ['properties', 'containers', 0, 'properties', 'volumeMounts'],
  ];

  test('malformed, hostile and deeply nested bodies get 4xx answers, and the emulator keeps serving', async () => {
    const bodies: string[] = [
      '',
      '{',
      'null',
      '"a"',
      deep(1_000_000),
      `{"location":"westeurope","properties":${deep(500_000)}}`,
      '{"__proto__":{"polluted":true},"location":"westeurope"}',
      'x'.repeat(5 * 1024 * 1024),
    ];
    for (const path of paths) for (const value of nasty) bodies.push(withValue(path, value));
    bodies.push(
      withValue(['properties', 'containers', 0, 'properties', 'ports'], `[{"port":${deep(50_000)}}]`),
      withValue(['tags'], JSON.stringify({ a: 'b'.repeat(1_000_000) })),
    );
    const statuses = new Map<number, number>();
    for (const [i, body] of bodies.entries()) {
      const { status, text } = await rawPut(`fuzz-${i}`, body);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500 || status === 0) throw new Error(`body #${i} got ${status}: ${text.slice(0, 300)}`);
    }
    expect(statuses.get(400)).toBeGreaterThan(bodies.length / 2);
    // Still serving, and nothing it accepted broke its listing.
    await client.containerGroups.beginCreateOrUpdateAndWait(RG, 'after-fuzz', group([]));
    const names: string[] = [];
    for await (const g of client.containerGroups.listByResourceGroup(RG)) names.push(g.name ?? '');
    expect(names).toContain('after-fuzz');
  });
});
