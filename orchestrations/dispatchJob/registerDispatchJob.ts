import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { DISPATCH_JOB_ORCHESTRATOR, DispatchJobActivity } from './contracts';
import type { DispatchJobActivities } from './createDispatchJobActivities';
import { dispatchJobOrchestrator } from './dispatchJobOrchestrator';

/**
 * Registers the orchestrator and its activities with durable-functions. `activitiesFor` gives the activities
 * for one invocation (production: over the app's services; tests: over a scripted provider and a recording queue).
 */
export function registerDispatchJob(
  activitiesFor: (context: InvocationContext) => DispatchJobActivities,
): void {
  df.app.orchestration(DISPATCH_JOB_ORCHESTRATOR, dispatchJobOrchestrator);
  for (const [key, activityName] of Object.entries(DispatchJobActivity) as [
    keyof typeof DispatchJobActivity,
    string,
  ][]) {
    df.app.activity(activityName, {
      handler: (input: unknown, context: InvocationContext) =>
        (activitiesFor(context)[key] as (input: unknown) => Promise<unknown>)(input),
    });
  }
}
