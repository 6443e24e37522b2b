import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { JobInventory } from '../../adapters/aci/jobInventory';
import type { JobProvider } from '../../adapters/aci/jobProvider';
import { isNotFound } from '../../shared/errors/isNotFound';
import type { DispatchMetrics } from '../../shared/metrics/dispatchMetrics';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import type { AttemptSnapshot } from './decideSweep';
import { sweepOrphans } from './orphanSweeper';

/** The timer-triggered orphan sweeper (schedule: DISPATCH_SWEEP_SCHEDULE). */
export const SWEEP_ORPHANS_FUNCTION = 'sweepOrphans';

export interface SweepOrphansDeps {
  schedule: string;
  graceMs: number;
  routes: readonly ResolvedRoute[];
  inventory: JobInventory;
  jobProvider: Pick<JobProvider, 'stop' | 'delete'>;
  metrics: DispatchMetrics;
}

export function registerSweepOrphans(deps: SweepOrphansDeps): void {
  const targets = deps.routes.flatMap((route) => route.targets);
  app.timer(SWEEP_ORPHANS_FUNCTION, {
    schedule: deps.schedule,
    extraInputs: [df.input.durableClient()],
    handler: async (_timer: Timer, context: InvocationContext): Promise<void> => {
      const client = df.getClient(context);
      const report = await sweepOrphans({
        ...deps,
        targets,
        findAttempt: (instanceId) => findAttempt(client, instanceId),
        now: () => Date.now(),
        log: (level, message) => (level === 'warn' ? context.warn(message) : context.log(message)),
      });
      context.log(`sweep done: ${JSON.stringify(report)}`);
    },
  });
}

async function findAttempt(
  client: df.DurableClient,
  instanceId: string,
): Promise<AttemptSnapshot | undefined> {
  try {
    return await client.getStatus(instanceId, {
      showHistory: false,
      showHistoryOutput: false,
      showInput: false,
    });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
