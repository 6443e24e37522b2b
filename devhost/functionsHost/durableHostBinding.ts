import type { DurableEngine } from '../durable/durableEngine';
import type { DurableHostBinding } from './startFunctionsHost';

/**
 * Binds the host to a DurableEngine: orchestrations, activities and entities registered with it (then the engine is
 * started, which resumes persisted instances), client binding data from it, its webhooks on the host's port.
 */
export function createDurableHostBinding(engine: DurableEngine): DurableHostBinding {
  return {
    register: async (registrations, log) => {
      for (const r of registrations) {
        if (r.triggerType === 'orchestrationTrigger') engine.registerOrchestration(r.name, r.handler);
        else if (r.triggerType === 'activityTrigger')
          engine.registerActivity(r.name, r.handler, r.extraInputs);
        else if (r.triggerType === 'entityTrigger') engine.registerEntity(r.name, r.handler);
        else
          log({
            level: 'warning',
            message: `${r.name}: ${r.triggerType} is not supported by the local Durable engine; not bound`,
          });
      }
      await engine.start();
    },
    clientBindingData: () => engine.clientBindingData(),
    handleHttpRequest: (req, res) => engine.handleHttpRequest(req, res),
  };
}
