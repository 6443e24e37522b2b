import { PermanentProviderError } from '../../../shared/errors/dispatchErrors';
import type { JobSpec, JobTarget } from '../../../adapters/aci/jobProvider';
import { buildContainerGroup, toTagValue } from '../../../adapters/aci/buildContainerGroup';
import { OUTPUT_EPILOGUE_SCRIPT } from '../../../shared/jobOutputs/outputFileReport';

const target: JobTarget = { subscriptionId: 's', resourceGroup: 'rg', location: 'westeurope' };
const identity =
  '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/jobs';
const base: JobSpec = {
  name: 'thumbs-0123456789abcdef-a1',
  instanceId: 'thumbs-0123456789abcdef-a1',
  route: 'thumbs',
  eventId: 'evt-1',
  attempt: 1,
  image: 'acr.azurecr.io/thumbs:1',
  cpu: 0.5,
  memoryInGB: 1,
  env: { A: '1' },
  secureEnv: { S: 'secret' },
  eventDelivery: 'env',
  eventJson: '{"id":"evt-1"}',
};

describe('buildContainerGroup', () => {
  test('an output file: its directory is an empty volume, its path in DISPATCH_OUTPUT_FILE, the command wrapped', () => {
    const group = buildContainerGroup(
      {
        ...base,
        command: ['python', 'job.py', '--fast'],
        eventDelivery: 'file',
        eventFilePath: '/mnt/dispatch/event.json',
        outputFile: '/mnt/out/result.json',
      },
      target,
    );
    const container = group.containers[0]!;
    expect(container.command).toEqual([
      '/bin/sh',
      '-c',
      OUTPUT_EPILOGUE_SCRIPT,
      'dispatch-output',
      'python',
      'job.py',
      '--fast',
    ]);
    expect(container.environmentVariables).toContainEqual({
      name: 'DISPATCH_OUTPUT_FILE',
      value: '/mnt/out/result.json',
    });
    expect(group.volumes!.map((v) => v.name)).toEqual(['dispatch-event', 'dispatch-output']);
    expect(group.volumes![1]).toEqual({ name: 'dispatch-output', emptyDir: {} });
    expect(container.volumeMounts).toContainEqual({ name: 'dispatch-output', mountPath: '/mnt/out' });

    expect(() => buildContainerGroup({ ...base, outputFile: '/mnt/out/result.json' }, target)).toThrow(
      /outputFile needs a command/,
    );
    expect(() =>
      buildContainerGroup(
        { ...base, command: ['x'], env: { DISPATCH_OUTPUT_FILE: '/o' }, outputFile: '/a/b' },
        target,
      ),
    ).toThrow(/DISPATCH_OUTPUT_FILE is reserved for the dispatcher$/);
    expect(() => buildContainerGroup({ ...base, command: ['x'], outputFile: '/top.json' }, target)).toThrow(
      /outputFile '\/top.json' must be an absolute file path below a directory other than \//,
    );
  });

  test('a callback job gets its URL in clear and its token, like a claim-check URL, only as a secure value', () => {
    const group = buildContainerGroup(
      {
        ...base,
        eventDelivery: 'file',
        eventUrl: 'https://acct.blob.core.windows.net/events/jobs/x.json?sig=s',
        callback: { url: 'https://app/api/callbacks/thumbs-0123456789abcdef-a1', token: 'dcb1.t' },
      },
      target,
    );
    expect(group.containers[0]!.environmentVariables!.slice(2)).toEqual([
      {
        name: 'DISPATCH_EVENT_URL',
        secureValue: 'https://acct.blob.core.windows.net/events/jobs/x.json?sig=s',
      },
      { name: 'DISPATCH_CALLBACK_URL', value: 'https://app/api/callbacks/thumbs-0123456789abcdef-a1' },
      { name: 'DISPATCH_CALLBACK_TOKEN', secureValue: 'dcb1.t' },
    ]);
    // By URL, not also inline: no event volume.
    expect(group.volumes).toBeUndefined();
    expect(() => buildContainerGroup({ ...base, env: { DISPATCH_CALLBACK_TOKEN: 'x' } }, target)).toThrow(
      /DISPATCH_CALLBACK_TOKEN is reserved for the dispatcher$/,
    );
  });

  test('env delivery: plain, secure and DISPATCH_EVENT as a secure value; no identity by default', () => {
    const group = buildContainerGroup(base, target);
    expect(group).toMatchObject({ location: 'westeurope', osType: 'Linux', restartPolicy: 'Never' });
    expect(group.identity).toBeUndefined();
    expect(group.imageRegistryCredentials).toBeUndefined();
    expect(group.containers[0]).toEqual({
      name: 'job',
      image: 'acr.azurecr.io/thumbs:1',
      command: undefined,
      resources: { requests: { cpu: 0.5, memoryInGB: 1 } },
      environmentVariables: [
        { name: 'A', value: '1' },
        { name: 'S', secureValue: 'secret' },
        { name: 'DISPATCH_EVENT', secureValue: '{"id":"evt-1"}' },
      ],
    });
  });

  test('file delivery: base64 secret volume mounted read-only at the directory, DISPATCH_EVENT_FILE set', () => {
    const group = buildContainerGroup(
      { ...base, eventDelivery: 'file', eventFilePath: '/mnt/dispatch/event.json' },
      target,
    );
    expect(group.volumes).toEqual([
      { name: 'dispatch-event', secret: { 'event.json': Buffer.from('{"id":"evt-1"}').toString('base64') } },
    ]);
    expect(group.containers[0]!.volumeMounts).toEqual([
      { name: 'dispatch-event', mountPath: '/mnt/dispatch', readOnly: true },
    ]);
    expect(group.containers[0]!.environmentVariables).toContainEqual({
      name: 'DISPATCH_EVENT_FILE',
      value: '/mnt/dispatch/event.json',
    });
    expect(group.containers[0]!.environmentVariables?.some((v) => v.name === 'DISPATCH_EVENT')).toBe(false);
  });

  test.each([undefined, 'event.json', '/event.json', '/mnt/x:y/e.json'])(
    'file delivery with eventFilePath %p is rejected',
    (path) => {
      expect(() =>
        buildContainerGroup({ ...base, eventDelivery: 'file', eventFilePath: path }, target),
      ).toThrow(PermanentProviderError);
    },
  );

  test('identity: the spec identity wins over the default; a registry pulls with it', () => {
    const withDefault = buildContainerGroup({ ...base, registryServer: 'acr.azurecr.io' }, target, identity);
    expect(withDefault.identity).toEqual({
      type: 'UserAssigned',
      userAssignedIdentities: { [identity]: {} },
    });
    expect(withDefault.imageRegistryCredentials).toEqual([{ server: 'acr.azurecr.io', identity }]);
    const own = `${identity}-2`;
    expect(
      buildContainerGroup({ ...base, identityResourceId: own }, target, identity).identity
        ?.userAssignedIdentities,
    ).toEqual({ [own]: {} });
    expect(() => buildContainerGroup({ ...base, registryServer: 'acr.azurecr.io' }, target)).toThrow(
      'needs an identity to pull with',
    );
  });

  test('tags: instance, route, event (sanitised, <= 256 chars), attempt', () => {
    const eventId = `evt\n${'x'.repeat(400)}`;
    const group = buildContainerGroup({ ...base, eventId, attempt: 3 }, target);
    expect(group.tags).toEqual({
      'dispatcher-instance': base.instanceId,
      'dispatcher-route': 'thumbs',
      'dispatcher-event': toTagValue(eventId),
      'dispatcher-attempt': '3',
    });
    expect(group.tags!['dispatcher-event']).toHaveLength(256);
    expect(group.tags!['dispatcher-event']!.startsWith('evt_x')).toBe(true);
  });

  test('a variable set twice or a reserved name is rejected, naming the variable and never its value', () => {
    expect(() => buildContainerGroup({ ...base, env: { S: 'plain' } }, target)).toThrow(
      'environment variable S (secretEnv) is set twice',
    );
    expect(() =>
      buildContainerGroup({ ...base, secureEnv: { DISPATCH_EVENT_FILE: 'secret' } }, target),
    ).toThrow(/DISPATCH_EVENT_FILE is reserved for the dispatcher$/);
  });

  test('command is copied', () => {
    expect(
      buildContainerGroup({ ...base, command: ['node', 'job.js'] }, target).containers[0]!.command,
    ).toEqual(['node', 'job.js']);
  });

  test("route tags and the create time are written next to the dispatcher's own tags", () => {
    const group = buildContainerGroup(
      { ...base, tags: { costCentre: 'cc-42' }, createdAt: '2026-01-01T00:00:00.000Z' },
      target,
    );
    expect(group.tags).toEqual({
      costCentre: 'cc-42',
      'dispatcher-created': '2026-01-01T00:00:00.000Z',
      'dispatcher-instance': 'thumbs-0123456789abcdef-a1',
      'dispatcher-route': 'thumbs',
      'dispatcher-event': 'evt-1',
      'dispatcher-attempt': '1',
    });
  });
});
