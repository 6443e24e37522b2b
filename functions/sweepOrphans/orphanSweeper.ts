import { JobTag } from '../../adapters/aci/buildContainerGroup';
import type { JobInventory } from '../../adapters/aci/jobInventory';
import type { JobProvider, JobTarget } from '../../adapters/aci/jobProvider';
import { classifyError } from '../../shared/errors/classifyError';
import type { DispatchMetrics, SweepAction } from '../../shared/metrics/dispatchMetrics';
import { decideSweep, type AttemptSnapshot } from './decideSweep';

export interface OrphanSweeperDeps {
  inventory: JobInventory;
  jobProvider: Pick<JobProvider, 'stop' | 'delete'>;
  /** The orchestration of an instance id, or undefined when there is none. */
  findAttempt(instanceId: string): Promise<AttemptSnapshot | undefined>;
  /** Every target of every route (primaries and fallbacks); duplicates are swept once. */
  targets: readonly JobTarget[];
  graceMs: number;
  now(): number;
  metrics: DispatchMetrics;
  log(level: 'info' | 'warn', message: string): void;
}

export type SweepReport = Record<SweepAction | 'kept', number> & {
  resourceGroups: number;
  examined: number;
};

/**
 * One sweep: lists the container groups of every target resource group, decides per group (decideSweep) and
 * acts. A failure on one group or resource group is counted and logged; the sweep goes on with the rest.
 */
export async function sweepOrphans(deps: OrphanSweeperDeps): Promise<SweepReport> {
  const report: SweepReport = {
    resourceGroups: 0,
    examined: 0,
    kept: 0,
    deletedOrphan: 0,
    deletedFinished: 0,
    stoppedOverdue: 0,
    failed: 0,
  };
  for (const target of distinctResourceGroups(deps.targets)) {
    report.resourceGroups++;
    let groups;
    try {
      groups = await deps.inventory.listGroups(target);
    } catch (err) {
      report.failed++;
      deps.log('warn', `sweep: cannot list ${target.resourceGroup}: ${classifyError(err).message}`);
      continue;
    }
    for (const group of groups) {
      const instanceId = group.tags[JobTag.instanceId];
      if (instanceId === undefined) continue;
      report.examined++;
      const route = group.tags[JobTag.route] ?? 'unknown';
      try {
        const decision = decideSweep(group, await deps.findAttempt(instanceId), deps.now(), deps.graceMs);
        if (decision.action === 'ignore') continue;
        if (decision.action === 'keep') {
          report.kept++;
          continue;
        }
        if (decision.action === 'stoppedOverdue') await deps.jobProvider.stop(group.name, target);
        await deps.jobProvider.delete(group.name, target);
        report[decision.action]++;
        deps.metrics.sweeperAction(route, decision.action);
        deps.log(
          'info',
          `sweep: ${decision.action} ${group.name} in ${target.resourceGroup}: ${decision.why}`,
        );
      } catch (err) {
        report.failed++;
        deps.metrics.sweeperAction(route, 'failed');
        deps.log('warn', `sweep: ${group.name} in ${target.resourceGroup}: ${classifyError(err).message}`);
      }
    }
  }
  return report;
}

function distinctResourceGroups(targets: readonly JobTarget[]): JobTarget[] {
  const seen = new Map<string, JobTarget>();
  for (const target of targets) {
    const key = `${target.subscriptionId}/${target.resourceGroup}`.toLowerCase();
    if (!seen.has(key)) seen.set(key, target);
  }
  return [...seen.values()];
}
