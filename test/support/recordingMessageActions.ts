import type { MessageActions, SdkMessage } from '../../functions/dispatchEvent/dispatchEventHandler';

export type Settlement =
  | { action: 'complete'; lockToken?: string }
  | { action: 'abandon'; lockToken?: string }
  | { action: 'deadletter'; lockToken?: string; reason?: string; description?: string };

/**
 * Stands in for @azure/functions-extensions-servicebus' ServiceBusMessageActions (which needs the Functions
 * host's gRPC settlement service): records each settlement and refuses a second one, as Service Bus does.
 */
export class RecordingMessageActions implements MessageActions {
  readonly settlements: Settlement[] = [];

  complete(message: SdkMessage): Promise<void> {
    return this.settle(message, { action: 'complete', lockToken: message.lockToken });
  }

  abandon(message: SdkMessage): Promise<void> {
    return this.settle(message, { action: 'abandon', lockToken: message.lockToken });
  }

  /**
   * Like the real client's proto serialisation: reason and description are google.protobuf.StringValue, so
   * only `{ value }` objects (or nothing) pass; a plain string fails as @grpc/proto-loader fails it.
   */
  deadletter(
    message: SdkMessage,
    _props?: Uint8Array,
    reason?: unknown,
    description?: unknown,
  ): Promise<void> {
    const unwrap = (field: string, wrapped: unknown): string | undefined => {
      if (wrapped === undefined) return undefined;
      if (
        typeof wrapped === 'object' &&
        wrapped !== null &&
        typeof (wrapped as { value?: unknown }).value === 'string'
      ) {
        return (wrapped as { value: string }).value;
      }
      throw new Error(
        `13 INTERNAL: Request message serialization failure: .DeadletterRequest.${field}: object expected`,
      );
    };
    try {
      return this.settle(message, {
        action: 'deadletter',
        lockToken: message.lockToken,
        reason: unwrap('deadletterReason', reason),
        description: unwrap('deadletterErrorDescription', description),
      });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private settle(message: SdkMessage, settlement: Settlement): Promise<void> {
    if (!message.lockToken)
      return Promise.reject(
        new Error('ArgumentException: lockToken is required in ServiceBusReceivedMessage.'),
      );
    if (this.settlements.some((s) => s.lockToken === message.lockToken)) {
      return Promise.reject(new Error(`message ${message.lockToken} was already settled`));
    }
    this.settlements.push(settlement);
    return Promise.resolve();
  }
}
