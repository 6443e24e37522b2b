import type { DeadLetterCopyRequest, EventQueue, RequeueRequest } from '../../adapters/serviceBus/eventQueue';

/** An EventQueue that records what the dispatcher sends (for tests where the broker itself is not the subject). */
export class RecordingEventQueue implements EventQueue {
  readonly requeues: RequeueRequest[] = [];
  readonly deadLetterCopies: DeadLetterCopyRequest[] = [];
  /** Errors thrown by the next sends, in order. */
  readonly failNext: Error[] = [];
  closed = false;

  requeue(request: RequeueRequest): Promise<void> {
    const error = this.failNext.shift();
    if (error) return Promise.reject(error);
    this.requeues.push(request);
    return Promise.resolve();
  }

  sendDeadLetterCopy(request: DeadLetterCopyRequest): Promise<void> {
    const error = this.failNext.shift();
    if (error) return Promise.reject(error);
    this.deadLetterCopies.push(request);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
