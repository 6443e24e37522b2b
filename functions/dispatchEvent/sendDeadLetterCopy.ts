import type { DeadLetterCopyRequest, EventQueue } from '../../adapters/serviceBus/eventQueue';
import { ensureErrorType } from '../../shared/errors/dispatchErrors';
import { isMessageFault } from './unhandledFailure';

/**
 * Sends a rejected message's dead-letter copy (classic mode). A copy Service Bus refuses for good (a body near
 * the size limit plus the copy's properties is over the message size, MessageSizeExceeded) would make every
 * delivery fail the same way until MaxDeliveryCountExceeded, without the reason. So it is sent once more bare:
 * no body, no sender properties, as a poison copy (so the trigger recognises it by its poison signature), the
 * description saying what was left off and why. Transient failures are thrown for the host to retry.
 */
export async function sendDeadLetterCopy(queue: EventQueue, copy: DeadLetterCopyRequest): Promise<void> {
  try {
    await queue.sendDeadLetterCopy(copy);
  } catch (err) {
    if (!isMessageFault(err)) throw err;
    const error = ensureErrorType(err);
    const bytes = typeof copy.body === 'string' ? Buffer.byteLength(copy.body, 'utf8') : copy.body.byteLength;
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { identity, ...rest } = copy;
    await queue.sendDeadLetterCopy({
      ...rest,
      body: '',
      originalProperties: {},
      description: `${copy.description} (this copy could not keep the original body of ${bytes} bytes or its properties: ${error.name}: ${error.message.slice(0, 200)})`,
    });
  }
}
