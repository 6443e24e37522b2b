import type { ContainerGroup, ContainerState, Event as AciEvent } from '@azure/arm-containerinstance';
import type { JobStatus } from './jobProvider';

/** Longest `detail` we return: it travels through orchestration history and customStatus. */
const maxDetailLength = 1000;

/**
 * Maps an ACI container group (GET with instanceView) to the provider-neutral JobStatus.
 *
 * - The exit code is that of the FIRST termination: with restartPolicy Never the current state holds it;
 *   if ACI restarted the container anyway, `previousState` holds the earlier termination (ACI keeps only
 *   one previous state, so after several restarts "first" means "earliest still visible").
 * - A container Waiting with a pull-failure event (Failed / "Failed to pull image" / ErrImagePull /
 *   ImagePullBackOff) is `Failed` with `permanentFailure: 'ImagePullFailed'`: no retry can make the image appear.
 * - A group whose provisioning failed, or that was stopped before its container terminated, is `Failed`
 *   without an exit code.
 */
export function mapContainerGroupStatus(group: ContainerGroup): JobStatus {
  const container = group.containers[0];
  const view = container?.instanceView;
  const groupEvents = group.instanceView?.events ?? [];
  const containerEvents = view?.events ?? [];

  const terminated = firstTermination(view?.previousState, view?.currentState);
  if (terminated) {
    const exitCode = terminated.exitCode;
    return withoutUndefined({
      state: exitCode === 0 ? 'Succeeded' : 'Failed',
      exitCode,
      detail: clip(terminated.detailStatus || undefined),
      startTime: isoTime(terminated.startTime),
      finishTime: isoTime(terminated.finishTime),
    });
  }

  const pullFailure = findPullFailure([...containerEvents, ...groupEvents], view?.currentState);
  const currentState = view?.currentState?.state?.toLowerCase();
  if (pullFailure && currentState !== 'running') {
    return {
      state: 'Failed',
      permanentFailure: 'ImagePullFailed',
      detail: clip(pullFailure) ?? 'image pull failed',
    };
  }

  const provisioning = group.provisioningState?.toLowerCase();
  if (provisioning === 'failed') {
    return {
      state: 'Failed',
      detail: clip(lastEventText([...containerEvents, ...groupEvents]) ?? 'provisioning failed'),
    };
  }

  if (currentState === 'running') {
    return withoutUndefined({ state: 'Running', startTime: isoTime(view?.currentState?.startTime) });
  }

  const groupState = group.instanceView?.state?.toLowerCase();
  if (groupState === 'stopped') {
    return { state: 'Failed', detail: 'container group was stopped before its container terminated' };
  }

  return withoutUndefined({
    state: 'Pending',
    detail: clip(view?.currentState?.detailStatus || group.provisioningState || undefined),
  });
}

/** Pull failures as ACI reports them (Kubernetes-style event names and detail statuses). */
const pullFailurePatterns = [
  /failed to pull image/i,
  /back-off pulling image/i,
  /errimagepull/i,
  /imagepullbackoff/i,
  /inaccessibleimage/i,
];

function findPullFailure(events: readonly AciEvent[], state: ContainerState | undefined): string | undefined {
  if (
    state?.state?.toLowerCase() === 'waiting' &&
    state.detailStatus &&
    pullFailurePatterns.some((p) => p.test(state.detailStatus!))
  ) {
    const event = events.find((e) => isPullFailureEvent(e));
    return event?.message ?? state.detailStatus;
  }
  return events.find((e) => isPullFailureEvent(e))?.message;
}

function isPullFailureEvent(event: AciEvent): boolean {
  const text = `${event.name ?? ''} ${event.message ?? ''}`;
  if (!pullFailurePatterns.some((p) => p.test(text))) return false;
  // "Failed" with a pull message, or a pull-specific name; a Normal "Pulling" event never matches.
  return (
    event.name === 'Failed' ||
    event.name === 'BackOff' ||
    /errimagepull|imagepullbackoff/i.test(text) ||
    event.type === 'Warning'
  );
}

function firstTermination(
  previous: ContainerState | undefined,
  current: ContainerState | undefined,
): ContainerState | undefined {
  for (const state of [previous, current]) {
    if (state?.state?.toLowerCase() === 'terminated' && typeof state.exitCode === 'number') return state;
  }
  return undefined;
}

function lastEventText(events: readonly AciEvent[]): string | undefined {
  const last = events[events.length - 1];
  return last ? [last.name, last.message].filter(Boolean).join(': ') : undefined;
}

function isoTime(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function clip(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.length <= maxDetailLength ? text : `${text.slice(0, maxDetailLength - 1)}…`;
}

/** Activity results are JSON: keep absent fields absent rather than `undefined`. */
function withoutUndefined(status: JobStatus): JobStatus {
  return Object.fromEntries(
    Object.entries(status).filter(([, v]) => v !== undefined),
  ) as unknown as JobStatus;
}
