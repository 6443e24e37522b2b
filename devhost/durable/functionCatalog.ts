import type { FunctionInput } from '@azure/functions';
import type { FunctionRegistry } from '../registrations/captureRegistrations';
import type { DurableFunctionHandler } from './durableTypes';

export interface CatalogEntry {
  /** The name as registered (lookups ignore case, as the host's do). */
  name: string;
  handler: DurableFunctionHandler;
  /** Extra inputs as registered (an activity's `durableClient` input is bound to the engine's client data). */
  extraInputs?: FunctionInput[];
}

/** The orchestrator, activity and entity functions the engine can run, by case-insensitive name. */
export class FunctionCatalog {
  private readonly orchestrators = new Map<string, CatalogEntry>();
  private readonly activities = new Map<string, CatalogEntry>();
  private readonly entities = new Map<string, CatalogEntry>();

  /** `handler` is what `df.app.orchestration` gives app.generic: `(bindingInfo, context) => Promise<OrchestratorState>`. */
  registerOrchestration(name: string, handler: DurableFunctionHandler): void {
    register(this.orchestrators, 'orchestration', name, handler);
  }

  /** `handler` is what `df.app.activity` gives app.generic: `(input, context) => Promise<result>`. */
  registerActivity(name: string, handler: DurableFunctionHandler, extraInputs: FunctionInput[] = []): void {
    register(this.activities, 'activity', name, handler, extraInputs);
  }

  /** `handler` is what `df.app.entity` gives app.generic: `(batch, context) => Promise<EntityState>`. */
  registerEntity(name: string, handler: DurableFunctionHandler): void {
    register(this.entities, 'entity', name, handler);
  }

  /** Registers every orchestration, activity and entity trigger function of a captured registry. Returns the names. */
  registerFromRegistry(registry: FunctionRegistry): {
    orchestrations: string[];
    activities: string[];
    entities: string[];
  } {
    const result = { orchestrations: [] as string[], activities: [] as string[], entities: [] as string[] };
    for (const registration of registry.list()) {
      if (registration.triggerType === 'orchestrationTrigger') {
        this.registerOrchestration(registration.name, registration.handler);
        result.orchestrations.push(registration.name);
      } else if (registration.triggerType === 'activityTrigger') {
        this.registerActivity(registration.name, registration.handler, registration.extraInputs);
        result.activities.push(registration.name);
      } else if (registration.triggerType === 'entityTrigger') {
        this.registerEntity(registration.name, registration.handler);
        result.entities.push(registration.name);
      }
    }
    return result;
  }

  orchestrator(name: string): CatalogEntry | undefined {
    return this.orchestrators.get(name.toLowerCase());
  }

  activity(name: string): CatalogEntry | undefined {
    return this.activities.get(name.toLowerCase());
  }

  entity(name: string): CatalogEntry | undefined {
    return this.entities.get(name.toLowerCase());
  }

  orchestratorNames(): string[] {
    return [...this.orchestrators.values()].map((o) => o.name);
  }
}

function register(
  map: Map<string, CatalogEntry>,
  kind: string,
  name: string,
  handler: DurableFunctionHandler,
  extraInputs: FunctionInput[] = [],
): void {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new TypeError(`register ${kind}: name must be a non-empty string`);
  }
  if (typeof handler !== 'function') {
    throw new TypeError(`register ${kind} '${name}': handler must be a function`);
  }
  const key = name.toLowerCase();
  if (map.has(key)) {
    throw new Error(`register ${kind}: a function named '${name}' is already registered`);
  }
  map.set(key, { name, handler, ...(extraInputs.length > 0 ? { extraInputs } : {}) });
}
