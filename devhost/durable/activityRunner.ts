import { InvocationContext } from '@azure/functions';
import type { FunctionInput, InvocationContextInit, LogHandler } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock';
import type { DurableCounters } from './durableTypes';
import type { FunctionCatalog } from './functionCatalog';
import type { HistoryEvent } from './historyEvent';
import { taskCompletedEvent, taskFailedEvent } from './historyEventBuilders';
import type { ActivityWorkItem } from './instanceRecord';
import type { InstanceStore } from './instanceStore';
import { iso, parseJsonText } from './jsonText';

/**
 * Calls an activity's handler (what `df.app.activity` registered) with its input and an
 * InvocationContext as the host builds one, and turns the result or the error into the TaskCompleted /
 * TaskFailed event the extension would deliver.
 */
export class ActivityRunner {
  constructor(
    private readonly store: InstanceStore,
    private readonly catalog: FunctionCatalog,
    private readonly counters: DurableCounters,
    private readonly clock: Clock,
    private readonly logHandler: LogHandler,
    /** The durableClient binding data (the engine's management API), for activities that declare that input. */
    private readonly clientBinding: () => unknown = () => undefined,
  ) {}

  async run(item: ActivityWorkItem): Promise<HistoryEvent> {
    this.counters.activityCalls++;
    const record = this.store.get(item.instanceId);
    if (record && record.executionId === item.executionId) {
      record.counters.activityCalls++;
    }
    const activity = this.catalog.activity(item.name);
    try {
      if (!activity) {
        throw new Error(
          `The function '${item.name}' doesn't exist, is disabled, or is not an activity function.`,
        );
      }
      const result: unknown = await activity.handler(
        parseJsonText(item.inputJson),
        this.createContext(activity.name, item, activity.extraInputs ?? []),
      );
      return taskCompletedEvent(item.seq, result, iso(this.clock.now()));
    } catch (error) {
      this.counters.activityFailures++;
      if (record && record.executionId === item.executionId) {
        record.counters.activityFailures++;
      }
      return taskFailedEvent(item.seq, item.name, error, iso(this.clock.now()));
    }
  }

  private createContext(
    name: string,
    item: ActivityWorkItem,
    extraInputs: FunctionInput[],
  ): InvocationContext {
    const init: InvocationContextInit = {
      invocationId: randomUUID(),
      functionName: name,
      logHandler: this.logHandler,
      triggerMetadata: { instanceId: item.instanceId },
      options: {
        trigger: { type: 'activityTrigger', name: `${name}Trigger` },
        extraInputs,
        extraOutputs: [],
      },
    };
    const context = new InvocationContext(init);
    // As the host binds it: an activity with a durableClient input can use df.getClient(context).
    for (const input of extraInputs) {
      if (input.type === 'durableClient' || input.type === 'orchestrationClient')
        context.extraInputs.set(input, this.clientBinding());
    }
    return context;
  }
}
