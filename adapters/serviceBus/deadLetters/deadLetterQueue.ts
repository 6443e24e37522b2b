import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';

/** Dead letters read in one batch (peek or receive). */
const BATCH = 100;

/** Every dead letter of `queue`, oldest first, without locking or removing any (at most `max`). */
export async function peekDeadLetters(
  client: ServiceBusClient,
  queue: string,
  max: number,
): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver(queue, { subQueueType: 'deadLetter' });
  const out: ServiceBusReceivedMessage[] = [];
  try {
    // The receiver remembers the last sequence number it peeked and goes on from there.
    while (out.length < max) {
      const batch = await receiver.peekMessages(Math.min(BATCH, max - out.length));
      if (batch.length === 0) break;
      out.push(...batch);
    }
  } finally {
    await receiver.close();
  }
  return out;
}

/** What to do with one locked dead letter: remove it (after the handler's own work succeeded) or leave it. */
export type DeadLetterDecision = 'remove' | 'keep';

/**
 * Locks dead letters one batch at a time and lets `handle` decide for each: `remove` completes it (the handler
 * has already done whatever must happen first, e.g. sent the resubmission), `keep` leaves it; kept ones stay
 * locked until the end so they are not received again in this run, then are abandoned (a dead-letter queue has
 * no MaxDeliveryCount, so abandoning changes nothing but the delivery count). Stops after `max` removals, or
 * as soon as `done()` says so after a message was handled (e.g. the one message looked for was seen).
 */
export async function processDeadLetters(
  client: ServiceBusClient,
  queue: string,
  max: number,
  handle: (message: ServiceBusReceivedMessage) => Promise<DeadLetterDecision>,
  done: () => boolean = () => false,
): Promise<void> {
  const receiver = client.createReceiver(queue, { subQueueType: 'deadLetter', receiveMode: 'peekLock' });
  const kept: ServiceBusReceivedMessage[] = [];
  let removed = 0;
  try {
    while (removed < max && !done()) {
      const batch = await receiver.receiveMessages(BATCH, { maxWaitTimeInMs: 1000 });
      if (batch.length === 0) break;
      for (const message of batch) {
        if (removed >= max || done()) {
          kept.push(message);
          continue;
        }
        let decision: DeadLetterDecision;
        try {
          decision = await handle(message);
        } catch (err) {
          kept.push(message);
          throw err;
        }
        if (decision === 'remove') {
          await receiver.completeMessage(message);
          removed++;
        } else kept.push(message);
      }
    }
  } finally {
    for (const message of kept) await receiver.abandonMessage(message).catch(() => undefined);
    await receiver.close();
  }
}
