import { randomUUID } from 'node:crypto';
import { message as amqpMessage, type Message } from 'rhea';
import { parseIsoDurationMs, type EmulatorRuleProperties, type EmulatorConfig } from './emulatorConfig';
import {
  effectiveTtl,
  MessageQueue,
  type EntitySettings,
  type MessageRouter,
  type StoredMessage,
} from './messageQueue';

// Defaults of Microsoft's emulator Config-schema.json (not of a cloud namespace, whose TTL is unbounded).
const DEFAULT_LOCK_MS = 60_000;
const DEFAULT_MAX_DELIVERY_COUNT = 3;
const DEFAULT_TTL_MS = 3_600_000;
const DEFAULT_DUPLICATE_WINDOW_MS = 20_000;
const SCHEDULED_ENQUEUE_TIME = 'x-opt-scheduled-enqueue-time';

interface DuplicateDetection {
  windowMs: number;
  seen: Map<string, number>;
}

/** Something a sender can address: a queue or a topic. */
interface SendTarget {
  readonly name: string;
  nextSequenceNumber: number;
  duplicates?: DuplicateDetection;
  defaultTtlMs: number;
}

interface QueueEntity extends SendTarget {
  kind: 'queue';
  queue: MessageQueue;
}

interface Subscription {
  name: string;
  queue: MessageQueue;
  rules: EmulatorRuleProperties[];
}

interface TopicEntity extends SendTarget {
  kind: 'topic';
  subscriptions: Subscription[];
  /** Scheduled messages wait on the topic and fan out when due, so one sequence number can cancel them. */
  scheduled: Map<number, { message: Message; scheduledAt: number }>;
}

type Entity = QueueEntity | TopicEntity;

export class EntityNotFoundError extends Error {
  constructor(path: string) {
    super(`The messaging entity '${path}' could not be found.`);
    this.name = 'EntityNotFoundError';
  }
}

/** A persisted message: the encoded AMQP message plus the broker's bookkeeping. */
export interface PersistedMessage {
  seq: number;
  enqueuedAt: number;
  expiresAt: number | null;
  deliveryCount: number;
  state: StoredMessage['state'];
  deferred?: boolean;
  scheduledAt?: number;
  amqp: string;
}

export interface NamespaceSnapshot {
  version: 1;
  entities: Record<
    string,
    {
      nextSequenceNumber: number;
      duplicates?: [string, number][];
      scheduled?: { seq: number; scheduledAt: number; amqp: string }[];
      queues: Record<string, PersistedMessage[]>;
    }
  >;
}

function ms(value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseIsoDurationMs(value) ?? fallback);
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * All entities of the emulated namespace and the routing between them: sequence numbers, duplicate
 * detection, topic fan-out with rules, auto-forwarding and dead-lettering.
 */
export class ServiceBusNamespace implements MessageRouter {
  private readonly entities = new Map<string, Entity>();
  private readonly queuesByPath = new Map<string, MessageQueue>();
  private version = 0;

  constructor(config: EmulatorConfig) {
    const ns = config.UserConfig.Namespaces[0]!;
    for (const q of ns.Queues) {
      const p = q.Properties ?? {};
      const settings: EntitySettings = {
        lockDurationMs: ms(p.LockDuration, DEFAULT_LOCK_MS),
        maxDeliveryCount: p.MaxDeliveryCount ?? DEFAULT_MAX_DELIVERY_COUNT,
        defaultMessageTtlMs: ms(p.DefaultMessageTimeToLive, DEFAULT_TTL_MS),
        deadLetteringOnMessageExpiration: p.DeadLetteringOnMessageExpiration ?? false,
        forwardTo: emptyToUndefined(p.ForwardTo),
        forwardDeadLetteredMessagesTo: emptyToUndefined(p.ForwardDeadLetteredMessagesTo),
      };
      const entity: QueueEntity = {
        kind: 'queue',
        name: q.Name,
        nextSequenceNumber: 1,
        defaultTtlMs: settings.defaultMessageTtlMs,
        duplicates: p.RequiresDuplicateDetection
          ? {
              windowMs: ms(p.DuplicateDetectionHistoryTimeWindow, DEFAULT_DUPLICATE_WINDOW_MS),
              seen: new Map(),
            }
          : undefined,
        queue: this.createQueue(q.Name, settings),
      };
      this.entities.set(q.Name.toLowerCase(), entity);
    }
    for (const t of ns.Topics) {
      const p = t.Properties ?? {};
      const topicTtl = ms(p.DefaultMessageTimeToLive, DEFAULT_TTL_MS);
      const entity: TopicEntity = {
        kind: 'topic',
        name: t.Name,
        nextSequenceNumber: 1,
        defaultTtlMs: topicTtl,
        duplicates: p.RequiresDuplicateDetection
          ? {
              windowMs: ms(p.DuplicateDetectionHistoryTimeWindow, DEFAULT_DUPLICATE_WINDOW_MS),
              seen: new Map(),
            }
          : undefined,
        scheduled: new Map(),
        subscriptions: t.Subscriptions.map((s) => {
          const sp = s.Properties ?? {};
          const settings: EntitySettings = {
            lockDurationMs: ms(sp.LockDuration, DEFAULT_LOCK_MS),
            maxDeliveryCount: sp.MaxDeliveryCount ?? DEFAULT_MAX_DELIVERY_COUNT,
            defaultMessageTtlMs: Math.min(topicTtl, ms(sp.DefaultMessageTimeToLive, DEFAULT_TTL_MS)),
            deadLetteringOnMessageExpiration: sp.DeadLetteringOnMessageExpiration ?? false,
            forwardTo: emptyToUndefined(sp.ForwardTo),
            forwardDeadLetteredMessagesTo: emptyToUndefined(sp.ForwardDeadLetteredMessagesTo),
          };
          return {
            name: s.Name,
            queue: this.createQueue(`${t.Name}/Subscriptions/${s.Name}`, settings),
            rules: (s.Rules ?? []).map((r) => r.Properties),
          };
        }),
      };
      this.entities.set(t.Name.toLowerCase(), entity);
    }
  }

  private createQueue(path: string, settings: EntitySettings): MessageQueue {
    const queue = new MessageQueue(path, settings, this);
    const dlqSettings: EntitySettings = { ...settings, defaultMessageTtlMs: Infinity, forwardTo: undefined };
    queue.deadLetterQueue = new MessageQueue(`${path}/$DeadLetterQueue`, dlqSettings, this, true);
    this.queuesByPath.set(path.toLowerCase(), queue);
    this.queuesByPath.set(`${path}/$DeadLetterQueue`.toLowerCase(), queue.deadLetterQueue);
    // Forwarding here never fails, so the transfer dead-letter queue exists (the SDK may open it) but stays empty.
    const transferDlq = new MessageQueue(`${path}/$Transfer/$DeadLetterQueue`, dlqSettings, this, true);
    this.queuesByPath.set(transferDlq.path.toLowerCase(), transferDlq);
    return queue;
  }

  now(): number {
    return Date.now();
  }

  /** Bumped on every state change; persistence writes when it moved. */
  get changeVersion(): number {
    return this.version;
  }

  changed(): void {
    this.version++;
  }

  /** Resolves an entity path a receiver or management link addresses (queue, subscription or their DLQ). */
  findQueue(path: string): MessageQueue | undefined {
    return this.queuesByPath.get(normalizePath(path));
  }

  /** True when a sender may attach to `path` (a queue or topic). */
  hasSendTarget(path: string): boolean {
    return this.entities.has(normalizePath(path));
  }

  allQueues(): MessageQueue[] {
    return [...new Set(this.queuesByPath.values())];
  }

  /**
   * Accepts a message sent to a queue or topic; returns its sequence number (or undefined when
   * duplicate detection dropped it, which the sender still sees as accepted).
   */
  send(path: string, message: Message): number | undefined {
    const entity = this.entities.get(normalizePath(path));
    if (!entity) throw new EntityNotFoundError(path);
    if (message.message_id === undefined || message.message_id === null) {
      // The SDK's auto lock renewal keys on messageId and throws without one.
      message.message_id = randomUUID().replace(/-/g, '');
    }
    const now = this.now();
    if (entity.duplicates) {
      const id = String(message.message_id);
      const seenAt = entity.duplicates.seen.get(id);
      if (seenAt !== undefined && now - seenAt < entity.duplicates.windowMs) return undefined;
      entity.duplicates.seen.set(id, now);
    }
    const seq = entity.nextSequenceNumber++;
    const scheduledAt = scheduledTime(message, now);
    if (entity.kind === 'queue') {
      this.enqueue(entity.queue, message, seq, now, scheduledAt);
    } else if (scheduledAt !== undefined) {
      entity.scheduled.set(seq, { message, scheduledAt });
    } else {
      this.fanOut(entity, message, seq, now);
    }
    this.changed();
    return seq;
  }

  /** Cancels a scheduled message by the sequence number `send` returned for it. */
  cancelScheduled(path: string, seq: number): void {
    const entity = this.entities.get(normalizePath(path));
    if (!entity) throw new EntityNotFoundError(path);
    if (entity.kind === 'queue') entity.queue.cancelScheduled(seq);
    else if (entity.scheduled.delete(seq)) this.changed();
  }

  private enqueue(
    queue: MessageQueue,
    message: Message,
    seq: number,
    now: number,
    scheduledAt?: number,
  ): void {
    if (queue.settings.forwardTo) {
      this.forward(queue.settings.forwardTo, message, scheduledAt);
      return;
    }
    const enqueuedAt = scheduledAt ?? now;
    queue.add({
      sequenceNumber: seq,
      message,
      enqueuedAt,
      expiresAt: enqueuedAt + effectiveTtl(message, queue.settings),
      deliveryCount: 0,
      state: scheduledAt === undefined ? 'available' : 'scheduled',
      scheduledAt,
    });
  }

  private fanOut(topic: TopicEntity, message: Message, seq: number, now: number): void {
    for (const sub of topic.subscriptions) {
      if (sub.rules.length > 0 && !sub.rules.some((r) => ruleMatches(r, message))) continue;
      // Each subscription owns its copy: settling or modifying one must not touch the others.
      this.enqueue(sub.queue, copyMessage(message), seq, now);
    }
  }

  /** Forwarding bypasses the target's duplicate detection: the source already applied its own. */
  private forward(target: string, message: Message, scheduledAt?: number): void {
    const copy = copyMessage(message);
    const entity = this.entities.get(normalizePath(target));
    if (!entity) return;
    const seq = entity.nextSequenceNumber++;
    const now = this.now();
    if (entity.kind === 'queue') this.enqueue(entity.queue, copy, seq, now, scheduledAt);
    else if (scheduledAt !== undefined) entity.scheduled.set(seq, { message: copy, scheduledAt });
    else this.fanOut(entity, copy, seq, now);
  }

  deadLetter(from: MessageQueue, stored: StoredMessage): void {
    const target = from.settings.forwardDeadLetteredMessagesTo;
    if (target) {
      const annotations = { ...(stored.message.message_annotations as object | undefined) };
      (annotations as Record<string, unknown>)['x-opt-deadletter-source'] = from.path;
      stored.message.message_annotations = annotations;
      this.forward(target, stored.message);
      return;
    }
    const dlq = from.deadLetterQueue;
    if (!dlq) return;
    dlq.add({ ...stored, state: 'available', expiresAt: Infinity, deferred: false });
  }

  /** Timer work for every entity. */
  sweep(): void {
    const now = this.now();
    for (const entity of this.entities.values()) {
      if (entity.duplicates) {
        for (const [id, at] of entity.duplicates.seen) {
          if (now - at >= entity.duplicates.windowMs) entity.duplicates.seen.delete(id);
        }
      }
      if (entity.kind === 'topic') {
        for (const [seq, item] of entity.scheduled) {
          if (item.scheduledAt <= now) {
            entity.scheduled.delete(seq);
            this.fanOut(entity, item.message, seq, now);
            this.changed();
          }
        }
      }
    }
    for (const queue of this.allQueues()) queue.sweep(now);
  }

  /** Everything needed to resume after a restart; locks are deliberately left out (their links are gone). */
  snapshot(): NamespaceSnapshot {
    const snap: NamespaceSnapshot = { version: 1, entities: {} };
    for (const entity of this.entities.values()) {
      const queues: Record<string, PersistedMessage[]> = {};
      const list = entity.kind === 'queue' ? [entity.queue] : entity.subscriptions.map((s) => s.queue);
      for (const q of list) {
        queues[q.path] = [...q.messages.values()].map(persist);
        if (q.deadLetterQueue)
          queues[q.deadLetterQueue.path] = [...q.deadLetterQueue.messages.values()].map(persist);
      }
      snap.entities[entity.name] = {
        nextSequenceNumber: entity.nextSequenceNumber,
        duplicates: entity.duplicates ? [...entity.duplicates.seen.entries()] : undefined,
        scheduled:
          entity.kind === 'topic'
            ? [...entity.scheduled.entries()].map(([seq, s]) => ({
                seq,
                scheduledAt: s.scheduledAt,
                amqp: amqpMessage.encode(s.message).toString('base64'),
              }))
            : undefined,
        queues,
      };
    }
    return snap;
  }

  /** Loads a snapshot taken by an earlier run; entities no longer in the config are ignored. */
  restore(snap: NamespaceSnapshot): string[] {
    const skipped: string[] = [];
    for (const [name, saved] of Object.entries(snap.entities)) {
      const entity = this.entities.get(name.toLowerCase());
      if (!entity) {
        skipped.push(name);
        continue;
      }
      entity.nextSequenceNumber = Math.max(entity.nextSequenceNumber, saved.nextSequenceNumber);
      if (entity.duplicates && saved.duplicates) entity.duplicates.seen = new Map(saved.duplicates);
      if (entity.kind === 'topic') {
        for (const s of saved.scheduled ?? []) {
          entity.scheduled.set(s.seq, {
            scheduledAt: s.scheduledAt,
            message: decodeMessage(Buffer.from(s.amqp, 'base64')),
          });
        }
      }
      for (const [path, messages] of Object.entries(saved.queues)) {
        const queue = this.findQueue(path);
        if (!queue) {
          skipped.push(path);
          continue;
        }
        for (const m of messages) queue.restore(revive(m));
      }
    }
    return skipped;
  }
}

/** rhea's decode is typed with a looser Message than the one links use; they are the same object. */
export function decodeMessage(buffer: Buffer): Message {
  return amqpMessage.decode(buffer) as unknown as Message;
}

function persist(m: StoredMessage): PersistedMessage {
  return {
    seq: m.sequenceNumber,
    enqueuedAt: m.enqueuedAt,
    expiresAt: Number.isFinite(m.expiresAt) ? m.expiresAt : null,
    deliveryCount: m.deliveryCount,
    state: m.state,
    deferred: m.deferred,
    scheduledAt: m.scheduledAt,
    amqp: amqpMessage.encode(m.message).toString('base64'),
  };
}

function revive(m: PersistedMessage): StoredMessage {
  return {
    sequenceNumber: m.seq,
    enqueuedAt: m.enqueuedAt,
    expiresAt: m.expiresAt ?? Infinity,
    deliveryCount: m.deliveryCount,
    state: m.state,
    deferred: m.deferred,
    scheduledAt: m.scheduledAt,
    message: decodeMessage(Buffer.from(m.amqp, 'base64')),
  };
}

/** Entity paths are case-insensitive in Service Bus and may carry a leading slash or the namespace host. */
export function normalizePath(path: string): string {
  let p = path.trim();
  const scheme = /^(?:amqps?|sb):\/\/[^/]+\//i.exec(p);
  if (scheme) p = p.slice(scheme[0].length);
  return p.replace(/^\/+/, '').replace(/\/+$/, '').toLowerCase();
}

function scheduledTime(message: Message, now: number): number | undefined {
  const annotations = message.message_annotations;
  const value: unknown = annotations?.[SCHEDULED_ENQUEUE_TIME];
  const at =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? Date.parse(value)
          : NaN;
  return Number.isFinite(at) && at > now ? at : undefined;
}

function copyMessage(message: Message): Message {
  return decodeMessage(amqpMessage.encode(message));
}

function ruleMatches(rule: EmulatorRuleProperties, message: Message): boolean {
  if (rule.FilterType === 'Sql') {
    const expr = rule.SqlFilter?.SqlExpression.replace(/\s/g, '').toLowerCase() ?? '';
    return expr === '1=1' || expr === 'true';
  }
  const f = rule.CorrelationFilter;
  if (!f) return false;
  const eq = (expected: string | undefined, actual: unknown): boolean =>
    expected === undefined || scalarText(actual) === expected;
  const props = (message.application_properties ?? {}) as Record<string, unknown>;
  return (
    eq(f.ContentType, message.content_type) &&
    eq(f.CorrelationId, message.correlation_id) &&
    eq(f.Label, message.subject) &&
    eq(f.MessageId, message.message_id) &&
    eq(f.ReplyTo, message.reply_to) &&
    eq(f.ReplyToSessionId, message.reply_to_group_id) &&
    eq(f.SessionId, message.group_id) &&
    eq(f.To, message.to) &&
    Object.entries(f.Properties ?? {}).every(([k, v]) => scalarText(props[k]) === String(v))
  );
}

/** Correlation filters compare scalars as text; anything else (maps, binary) never matches. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return undefined;
}
