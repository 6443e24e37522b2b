import {
  ADMISSION_COORDINATOR_ID,
  targetKey,
  type CoordinatorStatus,
  type TargetFigures,
} from '../../orchestrations/admission/contracts';
import { limitsForTarget, type AdmissionSettings } from '../../shared/config/admissionSettings';
import { isNotFound } from '../../shared/errors/isNotFound';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import type { StatusReader } from './jobStatus';

/** `GET /api/targets`: per target, what admission holds, what waits and the limit it admits to. */
export interface TargetsView {
  admission: 'on' | 'off';
  /** Slots held and requests waiting over all targets (0 when the coordinator has not started yet). */
  inUse: number;
  waiting: number;
  targets: TargetFigures[];
  /** ISO-8601: when the coordinator last published its figures. */
  updatedAt: string | null;
}

/**
 * The coordinator's figures, completed with every target the routes name (a target nobody asked for yet shows
 * nothing in use and its configured limits).
 */
export async function describeTargets(
  reader: Pick<StatusReader, 'getStatus'>,
  routes: readonly Pick<ResolvedRoute, 'targets'>[],
  settings: Pick<AdmissionSettings, 'enabled' | 'defaultLimits' | 'targetLimits'>,
): Promise<TargetsView> {
  let status: CoordinatorStatus | undefined;
  try {
    status = (await reader.getStatus(ADMISSION_COORDINATOR_ID)).customStatus as CoordinatorStatus | undefined;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const figures = new Map((status?.targets ?? []).map((t) => [t.target, t]));
  for (const route of routes) {
    for (const target of route.targets) {
      const key = targetKey(target);
      if (figures.has(key)) continue;
      const limits = limitsForTarget(settings, target);
      figures.set(key, {
        target: key,
        subscriptionId: target.subscriptionId,
        location: target.location,
        inUse: 0,
        coresInUse: 0,
        waiting: 0,
        limit: limits.containerGroups,
        coresLimit: limits.cores,
      });
    }
  }
  return {
    admission: settings.enabled ? 'on' : 'off',
    inUse: status?.holders ?? 0,
    waiting: status?.waiting ?? 0,
    targets: [...figures.values()].sort((a, b) => a.target.localeCompare(b.target)),
    updatedAt: status?.updatedAt ?? null,
  };
}
