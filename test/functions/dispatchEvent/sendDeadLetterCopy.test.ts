import type {
  DeadLetterCopyRequest,
  EventQueue,
  RequeueRequest,
} from '../../../adapters/serviceBus/eventQueue';
import { sendDeadLetterCopy } from '../../../functions/dispatchEvent/sendDeadLetterCopy';
import { PermanentProviderError, TransientProviderError } from '../../../shared/errors/dispatchErrors';

/** A queue with a message size limit, as Service Bus has (256 KB on Standard); it can also be down. */
class LimitedQueue implements EventQueue {
  readonly sent: DeadLetterCopyRequest[] = [];
  down = false;
  constructor(private readonly maxBodyBytes: number) {}
  requeue(_request: RequeueRequest): Promise<void> {
    return Promise.reject(new Error('not used'));
  }
  sendDeadLetterCopy(request: DeadLetterCopyRequest): Promise<void> {
    if (this.down) return Promise.reject(new TransientProviderError('ServiceUnavailable', 'ServiceBusy'));
    const bytes =
      typeof request.body === 'string' ? Buffer.byteLength(request.body) : request.body.byteLength;
    if (bytes > this.maxBodyBytes) {
      return Promise.reject(
        new PermanentProviderError('the message is over the size limit', 'MessageSizeExceeded'),
      );
    }
    this.sent.push(request);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const copy: DeadLetterCopyRequest = {
  body: Buffer.alloc(300_000, 0x61),
  identity: { source: '/tests', id: 'evt-big' },
  reason: 'InvalidEvent',
  description: 'body: 300000 bytes is over the limit of 262144 bytes (DISPATCH_MAX_EVENT_BYTES)',
  originalMessageId: 'producer-1',
  originalProperties: { tenant: 'acme' },
};

describe('sending a rejected message’s dead-letter copy (classic mode)', () => {
  it('sends the copy as it is when the queue takes it', async () => {
    const queue = new LimitedQueue(1_000_000);
    await sendDeadLetterCopy(queue, copy);
    expect(queue.sent).toEqual([copy]);
  });

  it('sends a copy the queue refuses for good once more bare, as a poison copy saying what it left off', async () => {
    const queue = new LimitedQueue(256 * 1024);
    await sendDeadLetterCopy(queue, copy);
    expect(queue.sent).toHaveLength(1);
    const [bare] = queue.sent;
    expect(bare).toMatchObject({
      body: '',
      originalProperties: {},
      reason: 'InvalidEvent',
      originalMessageId: 'producer-1',
    });
    expect(bare).not.toHaveProperty('identity');
    expect(bare?.description).toBe(
      `${copy.description} (this copy could not keep the original body of 300000 bytes or its properties: PermanentProviderError: the message is over the size limit)`,
    );
  });

  it('leaves a transient failure to the host’s retry', async () => {
    const queue = new LimitedQueue(1_000_000);
    queue.down = true;
    await expect(sendDeadLetterCopy(queue, copy)).rejects.toBeInstanceOf(TransientProviderError);
    expect(queue.sent).toHaveLength(0);
  });
});
