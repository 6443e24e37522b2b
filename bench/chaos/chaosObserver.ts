import {
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
} from '@azure/service-bus';

/**
 * The dead-letter reasons the dispatcher writes (docs/architecture.md, "Dead-letter reasons", plus the ones the
 * second wave added). Anything else in the dead-letter queue (the broker's `MaxDeliveryCountExceeded` with no
 * dispatcher reason, or a reason a sender forged) misses the "every dead letter with a dispatcher reason" target.
 */
export const dispatcherReasons: ReadonlySet<string> = new Set([
  'InvalidEvent',
  'NoRoute',
  'JobFailed',
  'JobTimedOut',
  'NonRetryableExitCode',
  'ImagePullFailed',
  'PermanentError',
  'CreateFailed',
  'CapacityExhausted',
  'JobLost',
  'Cancelled',
]);

/** One `dispatcher.job.settled` lifecycle event from the results topic. */
export interface Settlement {
  eventId: string;
  /** `eventSource`, once the dispatcher publishes it (identity (source, id)); else resolved from the job runs. */
  source?: string;
  route: string;
  attempt: number;
  outcome: string;
  reason?: string;
  /** Present when the job ran to termination; absent when the attempt never had a job (create failed). */
  exitCode?: number;
  instanceId?: string;
}

/** One message of the dispatch queue's dead-letter queue. */
export interface DeadLetter {
  /** The dispatcher's reason (its property on a marked copy) or else the broker's. */
  reason: string;
  brokerReason?: string;
  description: string;
  messageId: string;
  body: Buffer;
  /** From the body when it is a JSON object with string `id` / `source`. */
  eventId?: string;
  source?: string;
  /** The fuzz message's `chaos-case` tag, kept on a dead-letter copy among the sender's properties. */
  caseTag?: string;
  /** Characters of all application property names and values: a bounded copy stays far below 64 KB. */
  propertyChars: number;
}

function bodyBytes(message: ServiceBusReceivedMessage): Buffer {
  const body: unknown = message.body;
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  try {
    return Buffer.from(JSON.stringify(body) ?? '', 'utf8');
  } catch {
    return Buffer.alloc(0);
  }
}

function eventIdentity(body: Buffer): { eventId?: string; source?: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { id?: unknown; source?: unknown };
    return {
      ...(typeof parsed.id === 'string' ? { eventId: parsed.id } : {}),
      ...(typeof parsed.source === 'string' ? { source: parsed.source } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Collects settlements (results topic, `observer` subscription) and dead letters (the dispatch queue's DLQ) for
 * the whole scenario. Peek-lock and complete after recording, so a stack killed mid-transfer redelivers instead
 * of losing a record; records are de-duplicated by MessageId (the dispatcher's are deterministic).
 */
export class ChaosObserver {
  readonly settlements = new Map<string, Settlement>();
  readonly deadLetters = new Map<string, DeadLetter>();
  private client: ServiceBusClient | undefined;
  private receivers: ServiceBusReceiver[] = [];
  private deadLetterSeq = 0;

  /** (Re)connects to the stack's Service Bus (its connection string changes on every start). */
  async connect(connectionString: string): Promise<void> {
    await this.disconnect();
    const client = new ServiceBusClient(connectionString, {
      retryOptions: { maxRetries: 2, timeoutInMs: 10_000 },
    });
    this.client = client;
    // Bytes as sent: the SDK otherwise JSON-parses bodies that happen to be JSON (and a 5,000-level one cannot
    // be serialised back).
    const results = client.createReceiver('results', 'observer', { skipParsingBodyAsJson: true });
    const dlq = client.createReceiver('dispatch', {
      subQueueType: 'deadLetter',
      skipParsingBodyAsJson: true,
    });
    this.receivers = [results, dlq];
    const ignoreErrors = { processError: () => Promise.resolve() };
    results.subscribe(
      {
        processMessage: async (m) => {
          this.recordSettlement(m);
          await results.completeMessage(m);
        },
        ...ignoreErrors,
      },
      { maxConcurrentCalls: 8, autoCompleteMessages: false },
    );
    dlq.subscribe(
      {
        processMessage: async (m) => {
          this.recordDeadLetter(m);
          await dlq.completeMessage(m);
        },
        ...ignoreErrors,
      },
      { maxConcurrentCalls: 8, autoCompleteMessages: false },
    );
  }

  async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const r of this.receivers) await r.close().catch(() => undefined);
    this.receivers = [];
    await client?.close().catch(() => undefined);
  }

  private recordSettlement(m: ServiceBusReceivedMessage): void {
    let data: Partial<Settlement> & { eventSource?: unknown };
    try {
      data = (JSON.parse(bodyBytes(m).toString('utf8')) as { data: Partial<Settlement> }).data;
    } catch {
      return;
    }
    if (typeof data.eventId !== 'string' || typeof data.route !== 'string') return;
    const key = String(m.messageId ?? `${data.eventId}:${data.route}:${data.attempt}:${data.outcome}`);
    this.settlements.set(key, {
      eventId: data.eventId,
      ...(typeof data.eventSource === 'string' ? { source: data.eventSource } : {}),
      route: data.route,
      attempt: Number(data.attempt),
      outcome: String(data.outcome),
      ...(typeof data.reason === 'string' ? { reason: data.reason } : {}),
      ...(typeof data.exitCode === 'number' ? { exitCode: data.exitCode } : {}),
      ...(typeof data.instanceId === 'string' ? { instanceId: data.instanceId } : {}),
    });
  }

  private recordDeadLetter(m: ServiceBusReceivedMessage): void {
    const props = m.applicationProperties ?? {};
    const own = props['dispatch-dead-letter-reason'];
    const ownDescription = props['dispatch-dead-letter-description'];
    const body = bodyBytes(m);
    let propertyChars = 0;
    for (const [k, v] of Object.entries(props)) propertyChars += k.length + String(v).length;
    // A poison message may carry no MessageId the SDK can print; never merge two such copies.
    const messageId = m.messageId === undefined ? `no-id-${this.deadLetterSeq++}` : String(m.messageId);
    this.deadLetters.set(`${messageId}|${m.sequenceNumber?.toString() ?? this.deadLetterSeq++}`, {
      reason: typeof own === 'string' ? own : (m.deadLetterReason ?? ''),
      ...(m.deadLetterReason !== undefined ? { brokerReason: m.deadLetterReason } : {}),
      description: typeof ownDescription === 'string' ? ownDescription : (m.deadLetterErrorDescription ?? ''),
      messageId,
      body,
      ...eventIdentity(body),
      ...(typeof props['chaos-case'] === 'string' ? { caseTag: props['chaos-case'] } : {}),
      propertyChars,
    });
  }
}
