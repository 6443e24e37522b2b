import type { ContainerGroup, ContainerPropertiesInstanceView } from '@azure/arm-containerinstance';
import { mapContainerGroupStatus } from '../../../adapters/aci/mapContainerGroupStatus';

function group(
  view: ContainerPropertiesInstanceView | undefined,
  extra: Partial<ContainerGroup> = {},
): ContainerGroup {
  return {
    osType: 'Linux',
    provisioningState: 'Succeeded',
    containers: [
      { name: 'job', image: 'i', resources: { requests: { cpu: 1, memoryInGB: 1 } }, instanceView: view },
    ],
    ...extra,
  };
}

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:01:00Z');

describe('mapContainerGroupStatus', () => {
  test('no instance view yet: Pending', () => {
    expect(mapContainerGroupStatus(group(undefined, { provisioningState: 'Creating' }))).toEqual({
      state: 'Pending',
      detail: 'Creating',
    });
  });

  test('running', () => {
    expect(mapContainerGroupStatus(group({ currentState: { state: 'Running', startTime: t0 } }))).toEqual({
      state: 'Running',
      startTime: t0.toISOString(),
    });
  });

  test('terminated with restartPolicy Never: the current state is the first termination', () => {
    expect(
      mapContainerGroupStatus(
        group({
          currentState: {
            state: 'Terminated',
            exitCode: 0,
            startTime: t0,
            finishTime: t1,
            detailStatus: 'Completed',
          },
        }),
      ),
    ).toEqual({
      state: 'Succeeded',
      exitCode: 0,
      detail: 'Completed',
      startTime: t0.toISOString(),
      finishTime: t1.toISOString(),
    });
    expect(
      mapContainerGroupStatus(
        group({ currentState: { state: 'Terminated', exitCode: 2, detailStatus: 'Error' } }),
      ),
    ).toMatchObject({
      state: 'Failed',
      exitCode: 2,
    });
  });

  test('restarted anyway: the previous (first) termination wins over the current one', () => {
    const view = {
      restartCount: 1,
      previousState: { state: 'Terminated', exitCode: 7, detailStatus: 'Error' },
      currentState: { state: 'Terminated', exitCode: 0, detailStatus: 'Completed' },
    };
    expect(mapContainerGroupStatus(group(view))).toMatchObject({ state: 'Failed', exitCode: 7 });
    const runningAgain = {
      previousState: { state: 'Terminated', exitCode: 0 },
      currentState: { state: 'Running' },
    };
    expect(mapContainerGroupStatus(group(runningAgain))).toMatchObject({ state: 'Succeeded', exitCode: 0 });
  });

  test.each([
    ['ErrImagePull', { name: 'Failed', message: 'Failed to pull image "x:1": not found', type: 'Warning' }],
    ['ImagePullBackOff', { name: 'BackOff', message: 'Back-off pulling image "x:1"', type: 'Normal' }],
    ['Waiting', { name: 'Failed', message: 'Failed to pull image "x:1": unauthorized', type: 'Warning' }],
  ])('waiting with a pull failure (%s) is a permanent failure', (detailStatus, event) => {
    const status = mapContainerGroupStatus(
      group({
        currentState: { state: 'Waiting', detailStatus },
        events: [{ name: 'Pulling', message: 'pulling image "x:1"', type: 'Normal' }, event],
      }),
    );
    expect(status).toMatchObject({ state: 'Failed', permanentFailure: 'ImagePullFailed' });
    expect(status.detail).toContain('image "x:1"');
  });

  test('a normal pull in progress is not a failure', () => {
    const view = {
      currentState: { state: 'Waiting', detailStatus: 'ContainerCreating' },
      events: [{ name: 'Pulling', message: 'pulling image "x:1"', type: 'Normal' }],
    };
    expect(mapContainerGroupStatus(group(view, { provisioningState: 'Creating' }))).toEqual({
      state: 'Pending',
      detail: 'ContainerCreating',
    });
  });

  test('provisioning failed, or stopped before terminating: Failed without exit code', () => {
    const failed = mapContainerGroupStatus(
      group(undefined, {
        provisioningState: 'Failed',
        instanceView: { events: [{ name: 'Failed', message: 'deployment failed' }] },
      }),
    );
    expect(failed).toEqual({ state: 'Failed', detail: 'Failed: deployment failed' });
    const stopped = mapContainerGroupStatus(
      group({ currentState: { state: 'Waiting' } }, { instanceView: { state: 'Stopped' } }),
    );
    expect(stopped).toMatchObject({ state: 'Failed' });
    expect(stopped.exitCode).toBeUndefined();
  });

  test('long details are clipped', () => {
    const status = mapContainerGroupStatus(
      group({ currentState: { state: 'Terminated', exitCode: 1, detailStatus: 'x'.repeat(5000) } }),
    );
    expect(status.detail?.length).toBe(1000);
  });
});
