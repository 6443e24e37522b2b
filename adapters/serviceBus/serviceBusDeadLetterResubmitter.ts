import type { ServiceBusClient } from '@azure/service-bus';
import type { DispatchSigner } from '../../shared/signing/dispatchSigner';
import type { DeadLetterResubmitter } from './deadLetterResubmitter';
import type { ResubmitReport } from './deadLetters/buildResubmission';
import { resubmitDeadLetters } from './deadLetters/resubmitDeadLetters';

/**
 * {@link DeadLetterResubmitter} over the dispatch queue's dead-letter sub-queue. Service Bus cannot receive
 * one message by sequence number, so this locks dead letters a batch at a time until it meets the one asked
 * for, and stops there whatever became of it (the others are released untouched when it is done).
 */
export class ServiceBusDeadLetterResubmitter implements DeadLetterResubmitter {
  constructor(
    /** Called on the first resubmit, so an app that never resubmits opens no connection for it. */
    private readonly client: () => ServiceBusClient,
    private readonly queueName: string,
    private readonly signer: DispatchSigner,
  ) {}

  async resubmit(
    sequenceNumber: string,
    options: { keepAttempts: boolean },
  ): Promise<ResubmitReport | undefined> {
    const [report] = await resubmitDeadLetters(this.client(), this.queueName, this.signer, {
      max: 1,
      keepAttempts: options.keepAttempts,
      select: (view) => view.sequenceNumber === sequenceNumber,
      stopAfterSelected: 1,
    });
    return report;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
