import {
  message as amqpMessage,
  string_to_uuid,
  types,
  uuid_to_string,
  type AmqpError,
  type Connection,
  type Container,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import {
  LockLostError,
  MessageNotFoundError,
  type Consumer,
  type MessageQueue,
  type SettleOutcome,
  type StoredMessage,
} from './messageQueue';
import { decodeMessage, EntityNotFoundError, type ServiceBusNamespace } from './serviceBusNamespace';

/** The batch message format the SDK uses for `sendMessages([...])`: each data section is one encoded message. */
const BATCH_FORMAT = 0x80013700;
/** Service Bus standard tier limit; the SDK sizes batches from the attach's max_message_size. */
export const MAX_MESSAGE_SIZE = 256 * 1024;
const MANAGEMENT_SUFFIX = '/$management';

// rhea builds outcomes at runtime; its typings do not declare the constructors.
interface OutcomeFactory {
  accepted(): { described(): unknown };
  rejected(fields: { error: AmqpError }): { described(): unknown };
  modified(fields: Record<string, unknown>): { described(): unknown };
}
const outcomes = amqpMessage as unknown as OutcomeFactory;

interface RheaInternals {
  credit: number;
  delivery_count: number;
  _draining: boolean;
  _drained: boolean;
  _get_drain(): boolean;
  session: {
    outgoing: {
      next_pending_delivery: number;
      next_delivery_id: number;
      deliveries: { by_id(id: number): { link: unknown } | undefined; available(): number };
    };
  };
}

interface PendingSettlement {
  queue: MessageQueue;
  token: string;
}

class ManagementError extends Error {
  constructor(
    readonly statusCode: number,
    readonly condition: string,
    message: string,
  ) {
    super(message);
  }
}

/** The SDK reorders the 16-byte delivery tag into .NET Guid byte order to get the lock token; this is the inverse. */
export function lockTokenToDeliveryTag(token: string): Buffer {
  const b = string_to_uuid(token);
  return Buffer.from([b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8)]);
}

function toNumber(value: unknown): number {
  if (Buffer.isBuffer(value)) return Number(value.readBigInt64BE(0));
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object' && 'toNumber' in value)
    return (value as { toNumber(): number }).toNumber();
  throw new ManagementError(400, 'amqp:invalid-field', `expected a sequence number, got ${typeof value}`);
}

function toToken(value: unknown): string {
  if (Buffer.isBuffer(value)) return uuid_to_string(value);
  if (typeof value === 'string') return value.toLowerCase();
  throw new ManagementError(400, 'amqp:invalid-field', 'expected a lock token (uuid)');
}

function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  return value === undefined || value === null ? [] : [value];
}

/** The message as a receiver sees it: the sender's message plus the broker's annotations. */
export function encodeForDelivery(stored: StoredMessage): Buffer {
  const m = stored.message;
  const annotations: Record<string, unknown> = {
    ...m.message_annotations,
    'x-opt-sequence-number': types.wrap_long(stored.sequenceNumber),
    'x-opt-enqueued-time': new Date(stored.enqueuedAt),
  };
  if (stored.lockedUntil !== undefined) annotations['x-opt-locked-until'] = new Date(stored.lockedUntil);
  if (stored.state === 'deferred' || stored.deferred) annotations['x-opt-message-state'] = types.wrap_int(1);
  if (stored.state === 'scheduled') annotations['x-opt-message-state'] = types.wrap_int(2);
  const out: Record<string, unknown> = {
    ...m,
    message_annotations: annotations,
    delivery_count: stored.deliveryCount,
  };
  const ttl = stored.expiresAt - stored.enqueuedAt;
  if (out.ttl === undefined && Number.isFinite(ttl) && ttl > 0 && ttl <= 0xffffffff) out.ttl = ttl;
  return amqpMessage.encode(out);
}

class LinkConsumer implements Consumer {
  constructor(
    readonly sender: Sender,
    readonly receiveAndDelete: boolean,
    private readonly pending: WeakMap<Delivery, PendingSettlement>,
    private readonly queue: MessageQueue,
  ) {}

  availableCredit(): number {
    if (!this.sender.is_open()) return 0;
    const internals = this.sender as unknown as RheaInternals;
    const outgoing = internals.session.outgoing;
    // rhea only lowers `credit` when a transfer is written, so count what is queued but not yet written.
    let queued = 0;
    for (let id = outgoing.next_pending_delivery; id < outgoing.next_delivery_id; id++) {
      if (outgoing.deliveries.by_id(id)?.link === this.sender) queued++;
    }
    return Math.min(internals.credit - queued, outgoing.deliveries.available());
  }

  deliver(stored: StoredMessage): void {
    const payload = encodeForDelivery(stored);
    if (this.receiveAndDelete) {
      this.sender.send(payload, undefined, 0);
      return;
    }
    const token = stored.lockToken!;
    const delivery = this.sender.send(payload, lockTokenToDeliveryTag(token), 0);
    this.pending.set(delivery, { queue: this.queue, token });
  }
}

/**
 * The AMQP side of the emulator: CBS, `$management`, sending links into entities and receiving links out
 * of them, on a rhea container acting as server.
 */
export class ServiceBusBroker {
  private readonly consumers = new Map<Sender, { queue: MessageQueue; consumer: LinkConsumer }>();
  private readonly pending = new WeakMap<Delivery, PendingSettlement>();

  constructor(
    private readonly ns: ServiceBusNamespace,
    private readonly log: (line: string) => void,
    /** Resolves once accepted messages are durable (immediately when nothing persists). */
    private readonly whenDurable: () => Promise<void>,
  ) {}

  register(container: Container): void {
    container.on('sender_open', (ctx: EventContext) => this.onSenderOpen(ctx));
    container.on('receiver_open', (ctx: EventContext) => this.onReceiverOpen(ctx));
    container.on('message', (ctx: EventContext) => this.onMessage(ctx));
    container.on('sender_flow', (ctx: EventContext) => this.onFlow(ctx));
    container.on('accepted', (ctx: EventContext) => this.onSettle(ctx, { kind: 'complete' }));
    container.on('released', (ctx: EventContext) => this.onSettle(ctx, { kind: 'abandon' }, false));
    container.on('modified', (ctx: EventContext) => {
      const state = ctx.delivery?.remote_state as
        { undeliverable_here?: boolean; message_annotations?: Record<string, unknown> } | undefined;
      const propertiesToModify = state?.message_annotations;
      this.onSettle(
        ctx,
        state?.undeliverable_here
          ? { kind: 'defer', propertiesToModify }
          : { kind: 'abandon', propertiesToModify },
      );
    });
    container.on('rejected', (ctx: EventContext) => {
      const error = (ctx.delivery?.remote_state as { error?: AmqpError } | undefined)?.error;
      const info = { ...((error?.info ?? {}) as Record<string, unknown>) };
      const reason = info.DeadLetterReason;
      const description = info.DeadLetterErrorDescription;
      delete info.DeadLetterReason;
      delete info.DeadLetterErrorDescription;
      this.onSettle(ctx, {
        kind: 'deadLetter',
        reason: typeof reason === 'string' ? reason : undefined,
        description: typeof description === 'string' ? description : undefined,
        propertiesToModify: info,
      });
    });
    container.on('connection_open', (ctx: EventContext) => {
      const socket = (
        ctx.connection as unknown as { socket?: { remoteAddress?: string; remotePort?: number } }
      ).socket;
      this.log(
        `connection ${ctx.connection.options.id ?? ''} opened from ${socket?.remoteAddress ?? '?'}:${socket?.remotePort ?? '?'}`,
      );
    });
    container.on('sender_close', (ctx: EventContext) => this.dropConsumer(ctx.sender));
    container.on('disconnected', (ctx: EventContext) => this.dropConnection(ctx.connection));
    container.on('connection_close', (ctx: EventContext) => this.dropConnection(ctx.connection));
    // Unhandled link/session errors would otherwise be re-emitted as container 'error' and crash the process.
    container.on('error', (err: unknown) => this.log(`amqp error: ${String(err)}`));
  }

  private refuse(link: Sender | Receiver, address: string | undefined): void {
    const description = new EntityNotFoundError(address ?? '(no address)').message;
    this.log(`attach refused: ${description}`);
    link.close({ condition: 'amqp:not-found', description });
  }

  /** The client attached a receiving link, so the broker sends on it. */
  private onSenderOpen(ctx: EventContext): void {
    const sender = ctx.sender!;
    const address = sender.source?.address;
    sender.set_source({ address });
    sender.set_target({ address: sender.target?.address });
    const local = (sender as unknown as { local: { attach: Record<string, unknown> } }).local.attach;
    local.snd_settle_mode = sender.snd_settle_mode;
    local.rcv_settle_mode = sender.rcv_settle_mode;
    local.max_message_size = MAX_MESSAGE_SIZE;
    overrideDrain(sender);
    if (address === '$cbs' || address?.endsWith(MANAGEMENT_SUFFIX)) return; // reply link for a request link
    const filter = (sender.source as { filter?: Record<string, unknown> } | undefined)?.filter;
    if (filter && 'com.microsoft:session-filter' in filter) {
      sender.close({
        condition: 'amqp:not-implemented',
        description: 'Sessions are not supported by this emulator.',
      });
      return;
    }
    const queue = address ? this.ns.findQueue(address) : undefined;
    if (!queue) {
      this.refuse(sender, address);
      return;
    }
    const receiveAndDelete = sender.snd_settle_mode === 1;
    this.log(`receiver attached to '${queue.path}' (${receiveAndDelete ? 'receiveAndDelete' : 'peekLock'})`);
    const consumer = new LinkConsumer(sender, receiveAndDelete, this.pending, queue);
    this.consumers.set(sender, { queue, consumer });
    queue.addConsumer(consumer);
  }

  /** The client attached a sending link: into an entity, or requests to `$cbs` / `$management`. */
  private onReceiverOpen(ctx: EventContext): void {
    const receiver = ctx.receiver!;
    const address = receiver.target?.address;
    receiver.set_target({ address });
    receiver.set_source({ address: receiver.source?.address });
    const local = (receiver as unknown as { local: { attach: Record<string, unknown> } }).local.attach;
    local.max_message_size = MAX_MESSAGE_SIZE;
    if (address === '$cbs') return;
    if (address?.endsWith(MANAGEMENT_SUFFIX)) {
      const entity = address.slice(0, -MANAGEMENT_SUFFIX.length);
      if (!this.ns.findQueue(entity) && !this.ns.hasSendTarget(entity)) this.refuse(receiver, entity);
      return;
    }
    if (!address || !this.ns.hasSendTarget(address)) this.refuse(receiver, address);
    else this.log(`sender attached to '${address}'`);
  }

  private onFlow(ctx: EventContext): void {
    const sender = ctx.sender!;
    const entry = this.consumers.get(sender);
    if (entry) entry.queue.pump();
    const internals = sender as unknown as RheaInternals;
    if (internals._draining) sender.set_drained(true);
  }

  private dropConsumer(sender: Sender | undefined): void {
    if (!sender) return;
    const entry = this.consumers.get(sender);
    if (!entry) return;
    entry.queue.removeConsumer(entry.consumer);
    this.consumers.delete(sender);
  }

  private dropConnection(connection: Connection | undefined): void {
    for (const sender of [...this.consumers.keys()]) {
      if (sender.connection === connection) this.dropConsumer(sender);
    }
  }

  private onSettle(ctx: EventContext, outcome: SettleOutcome, countsAsDelivery = true): void {
    const delivery = ctx.delivery;
    if (!delivery) return;
    const pending = this.pending.get(delivery);
    this.pending.delete(delivery);
    let state: unknown;
    try {
      if (!pending) {
        state = outcomes.accepted().described();
      } else if (!countsAsDelivery) {
        pending.queue.release(pending.token);
        state = outcomes.accepted().described();
      } else {
        pending.queue.settle(pending.token, outcome);
        // Echoing a rejected (dead-letter) outcome would read as an error to the SDK, so success is `accepted`.
        state =
          outcome.kind === 'abandon' || outcome.kind === 'defer'
            ? outcomes.modified({ undeliverable_here: outcome.kind === 'defer' }).described()
            : outcomes.accepted().described();
      }
    } catch (err) {
      const lost = err instanceof LockLostError;
      state = outcomes
        .rejected({
          error: {
            condition: lost ? 'com.microsoft:message-lock-lost' : 'amqp:internal-error',
            description: (err as Error).message,
          },
        })
        .described();
    }
    if (!delivery.remote_settled) {
      delivery.update(true, state);
      // With rcv-settle-mode "second" the client never settles after us; without this rhea keeps every
      // delivery in its 2048-slot session buffer and the link stalls.
      (delivery as { remote_settled: boolean }).remote_settled = true;
    }
  }

  private onMessage(ctx: EventContext): void {
    const receiver = ctx.receiver!;
    const delivery = ctx.delivery!;
    const address = receiver.target?.address ?? '';
    try {
      if (address === '$cbs') {
        this.reply(ctx, ctx.message!, { 'status-code': 200, 'status-description': 'OK' });
        delivery.accept();
        return;
      }
      if (address.endsWith(MANAGEMENT_SUFFIX)) {
        delivery.accept();
        this.onManagement(ctx, address.slice(0, -MANAGEMENT_SUFFIX.length));
        return;
      }
      const format = (ctx as { format?: number }).format ?? 0;
      const raw = ctx.message as unknown;
      let messages: Message[];
      if (format === BATCH_FORMAT && Buffer.isBuffer(raw)) {
        const envelope = amqpMessage.decode(raw);
        const body = envelope.body as { content?: unknown } | undefined;
        const sections = Array.isArray(body?.content)
          ? (body.content as Buffer[])
          : [body?.content as Buffer];
        messages = sections.map((s) => decodeMessage(s));
      } else if (format === 0) {
        messages = [ctx.message!];
      } else {
        throw new ManagementError(400, 'amqp:not-implemented', `message format ${format} is not supported`);
      }
      for (const m of messages) this.ns.send(address, m);
      this.whenDurable().then(
        () => delivery.accept(),
        (err: unknown) => delivery.reject({ condition: 'amqp:internal-error', description: String(err) }),
      );
    } catch (err) {
      const condition =
        err instanceof EntityNotFoundError
          ? 'amqp:not-found'
          : err instanceof ManagementError
            ? err.condition
            : 'amqp:internal-error';
      this.log(`send to '${address}' failed: ${(err as Error).message}`);
      delivery.reject({ condition, description: (err as Error).message });
    }
  }

  private reply(
    ctx: EventContext,
    request: Message,
    properties: Record<string, unknown>,
    body?: unknown,
  ): void {
    const replyTo = request.reply_to;
    const replyLink = ctx.connection.find_sender(
      (link: Sender) => link.target?.address === replyTo || link.name === replyTo,
    );
    if (!replyLink) {
      this.log(
        `no reply link '${String(replyTo)}' for a request on '${ctx.receiver?.target?.address ?? ''}'`,
      );
      return;
    }
    replyLink.send({
      correlation_id: request.message_id,
      to: replyTo,
      application_properties: properties,
      body: body === undefined ? undefined : types.wrap_map(body as object),
    });
  }

  private onManagement(ctx: EventContext, entityPath: string): void {
    const request = ctx.message!;
    const operationValue: unknown = request.application_properties?.operation;
    const operation = typeof operationValue === 'string' ? operationValue : '';
    const body = (request.body ?? {}) as Record<string, unknown>;
    try {
      const result = this.runOperation(operation, entityPath, body);
      // Like a send, a change made by an operation (a scheduled message above all) is answered only once it is
      // durable: a kill right after the answer must not lose a message the client was told is stored.
      this.whenDurable().then(
        () => this.reply(ctx, request, { statusCode: result.status, statusDescription: 'OK' }, result.body),
        (err: unknown) =>
          this.reply(ctx, request, {
            statusCode: 500,
            statusDescription: `state not persisted: ${String(err)}`,
            errorCondition: 'amqp:internal-error',
          }),
      );
    } catch (err) {
      const e =
        err instanceof ManagementError
          ? err
          : err instanceof LockLostError
            ? new ManagementError(410, 'com.microsoft:message-lock-lost', err.message)
            : err instanceof MessageNotFoundError
              ? new ManagementError(404, 'com.microsoft:message-not-found', err.message)
              : err instanceof EntityNotFoundError
                ? new ManagementError(404, 'amqp:not-found', err.message)
                : new ManagementError(500, 'amqp:internal-error', (err as Error).message);
      this.log(`management '${operation}' on '${entityPath}' failed: ${e.message}`);
      this.reply(ctx, request, {
        statusCode: e.statusCode,
        statusDescription: e.message,
        errorCondition: e.condition,
      });
    }
  }

  private queueFor(entityPath: string): MessageQueue {
    const queue = this.ns.findQueue(entityPath);
    if (!queue) throw new EntityNotFoundError(entityPath);
    return queue;
  }

  private runOperation(
    operation: string,
    entityPath: string,
    body: Record<string, unknown>,
  ): { status: number; body?: object } {
    switch (operation) {
      case 'com.microsoft:renew-lock': {
        const queue = this.queueFor(entityPath);
        const expirations = asArray(body['lock-tokens']).map((t) => new Date(queue.renewLock(toToken(t))));
        return { status: 200, body: { expirations } };
      }
      case 'com.microsoft:schedule-message': {
        const seqs = asArray(body.messages).map((entry) => {
          const encoded = (entry as Record<string, unknown>).message;
          if (!Buffer.isBuffer(encoded))
            throw new ManagementError(400, 'amqp:invalid-field', 'messages[].message must be binary');
          return this.ns.send(entityPath, decodeMessage(encoded)) ?? 0;
        });
        return {
          status: 200,
          body: {
            'sequence-numbers': types.wrap_array(
              seqs.map((n) => longBytes(n)),
              0x81,
              undefined,
            ),
          },
        };
      }
      case 'com.microsoft:cancel-scheduled-message': {
        for (const s of asArray(body['sequence-numbers'])) this.ns.cancelScheduled(entityPath, toNumber(s));
        return { status: 200, body: {} };
      }
      case 'com.microsoft:peek-message': {
        const queue = this.queueFor(entityPath);
        const from = toNumber(body['from-sequence-number'] ?? 0);
        const count = toNumber(body['message-count'] ?? 1);
        const found = queue.peek(from, count);
        if (found.length === 0) return { status: 204 };
        return { status: 200, body: { messages: found.map((m) => ({ message: encodeForDelivery(m) })) } };
      }
      case 'com.microsoft:receive-by-sequence-number': {
        const queue = this.queueFor(entityPath);
        const seqs = asArray(body['sequence-numbers']).map(toNumber);
        const receiveAndDelete = toNumber(body['receiver-settle-mode'] ?? 1) === 0;
        const messages = queue.receiveDeferred(seqs, receiveAndDelete).map((m) => {
          const entry: Record<string, unknown> = { message: encodeForDelivery(m) };
          if (!receiveAndDelete) entry['lock-token'] = types.wrap_uuid(string_to_uuid(m.lockToken!));
          return entry;
        });
        return { status: 200, body: { messages } };
      }
      case 'com.microsoft:update-disposition': {
        const queue = this.queueFor(entityPath);
        const status = String(body['disposition-status']);
        const propertiesToModify = body['properties-to-modify'] as Record<string, unknown> | undefined;
        const outcome: SettleOutcome =
          status === 'completed'
            ? { kind: 'complete' }
            : status === 'abandoned'
              ? { kind: 'abandon', propertiesToModify }
              : status === 'defered' || status === 'deferred'
                ? { kind: 'defer', propertiesToModify }
                : status === 'suspended'
                  ? {
                      kind: 'deadLetter',
                      reason: body['deadletter-reason'] as string | undefined,
                      description: body['deadletter-description'] as string | undefined,
                      propertiesToModify,
                    }
                  : (() => {
                      throw new ManagementError(
                        400,
                        'amqp:invalid-field',
                        `unknown disposition-status '${status}'`,
                      );
                    })();
        for (const t of asArray(body['lock-tokens'])) queue.settle(toToken(t), outcome);
        return { status: 200, body: {} };
      }
      default:
        throw new ManagementError(
          501,
          'amqp:not-implemented',
          `operation '${operation}' is not supported by this emulator`,
        );
    }
  }
}

function longBytes(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
}

/**
 * rhea only flags a drain as complete while credit remains, so a receiver whose credit was used up by the
 * last transfers would wait for `receiver_drained` until its timeout. Answer every drain request.
 */
function overrideDrain(sender: Sender): void {
  const internals = sender as unknown as RheaInternals;
  internals._get_drain = function (this: RheaInternals): boolean {
    if (this._draining && this._drained) {
      this.delivery_count += this.credit;
      this.credit = 0;
      this._drained = false;
      return true;
    }
    return false;
  };
}
