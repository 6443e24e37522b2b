import { randomUUID } from 'node:crypto';
import type { Message } from 'rhea';

/** Per-entity behaviour, already converted from the Config.json durations. */
export interface EntitySettings {
  lockDurationMs: number;
  maxDeliveryCount: number;
  defaultMessageTtlMs: number;
  deadLetteringOnMessageExpiration: boolean;
  forwardTo?: string;
  forwardDeadLetteredMessagesTo?: string;
}

export type MessageState = 'available' | 'locked' | 'deferred' | 'scheduled';

export interface StoredMessage {
  sequenceNumber: number;
  /** The message as the sender encoded it (plus dead-letter properties); broker annotations are added on delivery. */
  message: Message;
  enqueuedAt: number;
  expiresAt: number;
  /** AMQP header delivery-count: deliveries that did not end in settlement (0 on the first delivery). */
  deliveryCount: number;
  state: MessageState;
  scheduledAt?: number;
  lockToken?: string;
  lockedUntil?: number;
  deferred?: boolean;
}

/** A receiving link as the store sees it: how many messages it can take, and how to hand one over. */
export interface Consumer {
  readonly receiveAndDelete: boolean;
  availableCredit(): number;
  deliver(message: StoredMessage): void;
}

export type SettleOutcome =
  | { kind: 'complete' }
  | { kind: 'abandon'; propertiesToModify?: Record<string, unknown> }
  | { kind: 'defer'; propertiesToModify?: Record<string, unknown> }
  | {
      kind: 'deadLetter';
      reason?: string;
      description?: string;
      propertiesToModify?: Record<string, unknown>;
    };

export class LockLostError extends Error {
  constructor(token: string) {
    super(`The lock ${token} is not held: it expired, was already settled, or never existed.`);
    this.name = 'LockLostError';
  }
}

export class MessageNotFoundError extends Error {
  constructor(sequenceNumber: number) {
    super(`No deferred message with sequence number ${sequenceNumber} was found.`);
    this.name = 'MessageNotFoundError';
  }
}

/** Where dead-lettered and forwarded messages go; implemented by the namespace. */
export interface MessageRouter {
  deadLetter(from: MessageQueue, stored: StoredMessage): void;
  now(): number;
  changed(): void;
}

class MinHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(value: number): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= value) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = value;
  }
  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mv = last;
        if (l < a.length && a[l]! < mv) {
          m = l;
          mv = a[l]!;
        }
        if (r < a.length && a[r]! < mv) {
          m = r;
          mv = a[r]!;
        }
        if (m === i) break;
        a[i] = mv;
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * One queue, subscription or dead-letter sub-queue: the messages it holds, their locks, and the links
 * receiving from it. Everything is in memory; the namespace snapshots it for persistence.
 */
export class MessageQueue {
  readonly messages = new Map<number, StoredMessage>();
  private readonly available = new MinHeap();
  private readonly scheduled = new Set<number>();
  private readonly locks = new Map<string, StoredMessage>();
  private readonly consumers: Consumer[] = [];
  private nextConsumer = 0;
  private pumpQueued = false;
  deadLetterQueue?: MessageQueue;

  constructor(
    /** Entity path as clients address it, e.g. `orders` or `events/Subscriptions/audit`. */
    readonly path: string,
    readonly settings: EntitySettings,
    private readonly router: MessageRouter,
    readonly isDeadLetterQueue = false,
  ) {}

  /** Adds a message that already has its sequence number (assigned by the queue or topic that accepted it). */
  add(stored: StoredMessage): void {
    this.messages.set(stored.sequenceNumber, stored);
    if (stored.state === 'scheduled') this.scheduled.add(stored.sequenceNumber);
    else if (stored.state === 'available') this.makeAvailable(stored);
    this.router.changed();
  }

  private makeAvailable(stored: StoredMessage): void {
    stored.state = 'available';
    stored.lockToken = undefined;
    stored.lockedUntil = undefined;
    this.available.push(stored.sequenceNumber);
    this.schedulePump();
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.push(consumer);
    this.schedulePump();
  }

  removeConsumer(consumer: Consumer): void {
    const i = this.consumers.indexOf(consumer);
    if (i >= 0) this.consumers.splice(i, 1);
  }

  /** Coalesces pump requests so a burst of sends or credit grants costs one pass. */
  schedulePump(): void {
    if (this.pumpQueued || this.consumers.length === 0) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  pump(): void {
    const now = this.router.now();
    let idle = 0;
    while (this.available.size > 0 && this.consumers.length > 0 && idle < this.consumers.length) {
      const index = this.nextConsumer % this.consumers.length;
      const consumer = this.consumers[index]!;
      this.nextConsumer = index + 1;
      if (consumer.availableCredit() <= 0) {
        idle++;
        continue;
      }
      const stored = this.takeNextAvailable(now);
      if (!stored) break;
      idle = 0;
      if (consumer.receiveAndDelete) {
        this.messages.delete(stored.sequenceNumber);
        stored.state = 'locked';
        this.router.changed();
      } else {
        this.lock(stored, now);
      }
      consumer.deliver(stored);
    }
  }

  private takeNextAvailable(now: number): StoredMessage | undefined {
    for (;;) {
      const seq = this.available.pop();
      if (seq === undefined) return undefined;
      const stored = this.messages.get(seq);
      if (!stored || stored.state !== 'available') continue;
      if (stored.expiresAt <= now) {
        this.expire(stored);
        continue;
      }
      return stored;
    }
  }

  private lock(stored: StoredMessage, now: number): void {
    stored.state = 'locked';
    stored.lockToken = randomUUID();
    stored.lockedUntil = now + this.settings.lockDurationMs;
    this.locks.set(stored.lockToken, stored);
  }

  private lockedMessage(token: string): StoredMessage {
    const stored = this.locks.get(token);
    if (!stored || stored.lockedUntil === undefined || stored.lockedUntil <= this.router.now()) {
      throw new LockLostError(token);
    }
    return stored;
  }

  holdsLock(token: string): boolean {
    return this.locks.has(token);
  }

  renewLock(token: string): number {
    const stored = this.lockedMessage(token);
    stored.lockedUntil = this.router.now() + this.settings.lockDurationMs;
    return stored.lockedUntil;
  }

  settle(token: string, outcome: SettleOutcome): void {
    const stored = this.lockedMessage(token);
    this.locks.delete(token);
    switch (outcome.kind) {
      case 'complete':
        this.messages.delete(stored.sequenceNumber);
        break;
      case 'abandon':
        modifyProperties(stored, outcome.propertiesToModify);
        this.redeliverOrDeadLetter(stored);
        break;
      case 'defer':
        modifyProperties(stored, outcome.propertiesToModify);
        stored.state = 'deferred';
        stored.deferred = true;
        stored.lockToken = undefined;
        stored.lockedUntil = undefined;
        break;
      case 'deadLetter':
        modifyProperties(stored, outcome.propertiesToModify);
        this.moveToDeadLetter(stored, outcome.reason, outcome.description);
        break;
    }
    this.router.changed();
  }

  /** A released delivery was never processed (e.g. prefetched by a closing link): no delivery is counted. */
  release(token: string): void {
    const stored = this.lockedMessage(token);
    this.locks.delete(token);
    if (stored.deferred) {
      stored.state = 'deferred';
      stored.lockToken = undefined;
      stored.lockedUntil = undefined;
    } else {
      this.makeAvailable(stored);
    }
    this.router.changed();
  }

  /** Abandon and lock expiry both count a failed delivery; at MaxDeliveryCount the message is dead-lettered. */
  private redeliverOrDeadLetter(stored: StoredMessage): void {
    stored.deliveryCount++;
    if (!this.isDeadLetterQueue && stored.deliveryCount >= this.settings.maxDeliveryCount) {
      this.moveToDeadLetter(
        stored,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`,
      );
    } else if (stored.deferred) {
      stored.state = 'deferred';
      stored.lockToken = undefined;
      stored.lockedUntil = undefined;
    } else {
      this.makeAvailable(stored);
    }
  }

  private moveToDeadLetter(
    stored: StoredMessage,
    reason: string | undefined,
    description: string | undefined,
  ): void {
    this.messages.delete(stored.sequenceNumber);
    if (this.isDeadLetterQueue) {
      // Dead-lettering from the DLQ itself has nowhere further to go: Service Bus leaves it there.
      this.messages.set(stored.sequenceNumber, stored);
      this.makeAvailable(stored);
      return;
    }
    const props: Record<string, unknown> = {
      ...(stored.message.application_properties as object | undefined),
    };
    if (reason !== undefined) props.DeadLetterReason = reason;
    if (description !== undefined) props.DeadLetterErrorDescription = description;
    stored.message.application_properties = props;
    stored.lockToken = undefined;
    stored.lockedUntil = undefined;
    stored.deferred = false;
    this.router.deadLetter(this, stored);
  }

  /** Locks deferred messages for `receiveDeferredMessages`; in receiveAndDelete mode removes them instead. */
  receiveDeferred(sequenceNumbers: number[], receiveAndDelete: boolean): StoredMessage[] {
    const now = this.router.now();
    const out: StoredMessage[] = [];
    for (const seq of sequenceNumbers) {
      const stored = this.messages.get(seq);
      if (!stored || stored.state !== 'deferred') throw new MessageNotFoundError(seq);
      if (receiveAndDelete) this.messages.delete(seq);
      else this.lock(stored, now);
      out.push(stored);
    }
    this.router.changed();
    return out;
  }

  /** Messages in sequence order from `fromSequenceNumber`, whatever their state, without locking them. */
  peek(fromSequenceNumber: number, count: number): StoredMessage[] {
    const now = this.router.now();
    const out: StoredMessage[] = [];
    const seqs = [...this.messages.keys()].filter((s) => s >= fromSequenceNumber).sort((a, b) => a - b);
    for (const seq of seqs) {
      if (out.length >= count) break;
      const stored = this.messages.get(seq)!;
      if (stored.expiresAt <= now && stored.state !== 'locked') continue;
      out.push(stored);
    }
    return out;
  }

  cancelScheduled(sequenceNumber: number): boolean {
    const stored = this.messages.get(sequenceNumber);
    if (!stored || stored.state !== 'scheduled') return false;
    this.messages.delete(sequenceNumber);
    this.scheduled.delete(sequenceNumber);
    this.router.changed();
    return true;
  }

  /** Timer work: expired locks, due scheduled messages, expired messages. */
  sweep(now: number): void {
    for (const [token, stored] of this.locks) {
      if (stored.lockedUntil !== undefined && stored.lockedUntil <= now) {
        this.locks.delete(token);
        this.redeliverOrDeadLetter(stored);
        this.router.changed();
      }
    }
    for (const seq of this.scheduled) {
      const stored = this.messages.get(seq);
      if (!stored) {
        this.scheduled.delete(seq);
      } else if ((stored.scheduledAt ?? 0) <= now) {
        this.scheduled.delete(seq);
        stored.enqueuedAt = now;
        stored.expiresAt = now + effectiveTtl(stored.message, this.settings);
        this.makeAvailable(stored);
        this.router.changed();
      }
    }
    for (const stored of this.messages.values()) {
      if (stored.expiresAt <= now && (stored.state === 'available' || stored.state === 'deferred')) {
        this.expire(stored);
      }
    }
  }

  private expire(stored: StoredMessage): void {
    if (this.settings.deadLetteringOnMessageExpiration && !this.isDeadLetterQueue) {
      this.moveToDeadLetter(stored, 'TTLExpiredException', 'The message expired and was dead lettered.');
    } else {
      this.messages.delete(stored.sequenceNumber);
    }
    this.router.changed();
  }

  /** Restores messages after a restart; locks do not survive, so locked messages become available again. */
  restore(stored: StoredMessage): void {
    if (stored.state === 'locked') stored.state = stored.deferred ? 'deferred' : 'available';
    this.add(stored);
  }

  get activeMessageCount(): number {
    let n = 0;
    for (const m of this.messages.values()) if (m.state === 'available' || m.state === 'locked') n++;
    return n;
  }
}

/** The message's own TTL if it set one, capped by the entity default, as Service Bus does. */
export function effectiveTtl(message: Message, settings: EntitySettings): number {
  const own = typeof message.ttl === 'number' && message.ttl > 0 ? message.ttl : Infinity;
  return Math.min(own, settings.defaultMessageTtlMs);
}

function modifyProperties(stored: StoredMessage, props: Record<string, unknown> | undefined): void {
  if (!props || Object.keys(props).length === 0) return;
  stored.message.application_properties = {
    ...(stored.message.application_properties as object | undefined),
    ...props,
  };
}
