import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { AdmissionActivities } from './activities';
import { ADMISSION_COORDINATOR, AdmissionActivity } from './contracts';
import { admissionCoordinator } from './coordinator';

/**
 * Registers the coordinator and its activities. `activitiesFor` builds the activities for one invocation; it
 * receives the invocation context, whose durableClient input (declared here, bound by the host) gives
 * `df.getClient(context)`, the only way an activity can raise events to other instances.
 */
export function registerAdmission(activitiesFor: (context: InvocationContext) => AdmissionActivities): void {
  df.app.orchestration(ADMISSION_COORDINATOR, admissionCoordinator);
  for (const [key, activityName] of Object.entries(AdmissionActivity) as [
    keyof typeof AdmissionActivity,
    string,
  ][]) {
    df.app.activity(activityName, {
      extraInputs: [df.input.durableClient()],
      handler: (input: unknown, context: InvocationContext) =>
        (activitiesFor(context)[key] as (input: unknown) => Promise<unknown>)(input),
    });
  }
}
