import { InvalidEventError } from '../../shared/errors/dispatchErrors';
import type { ParsedEvent } from '../../shared/events/cloudEvent';
import { jsonTextOf } from '../../shared/events/jsonTextOf';
import { deadLetterCopy } from './deadLetterCopy';
import { parseEventMessage } from '../../shared/events/parseEventMessage';
import type { DeadLetterCopyRequest } from '../../adapters/serviceBus/eventQueue';
import { instanceIdFor } from '../../shared/naming/dispatchNames';
import { routeMatches, matchRoutes } from '../../shared/routes/matchRoutes';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import {
  POISON_IDENTITY,
  type DispatchMarks,
  type DispatchSigner,
  type EventIdentity,
  type MarksReading,
} from '../../shared/signing/dispatchSigner';
import type { DispatchJobInput } from '../../orchestrations/dispatchJob/dispatchJobInput';
import type { OriginalMessage } from '../../adapters/serviceBus/originalMessage';

/** A message as the trigger received it, independent of how the host delivered it. */
export interface InboundMessage {
  /** Bytes (SDK binding: the raw AMQP data section), a string, or the value the host JSON-parsed. */
  body: unknown;
  contentType?: string;
  applicationProperties: Readonly<Record<string, unknown>>;
  /** Any AMQP type: string, number, Long, bytes (see messageIdText). */
  messageId?: unknown;
  deliveryCount?: number;
  /** The producer's message envelope, kept on every copy the dispatcher makes of it (classic mode). */
  original?: OriginalMessage;
}

/** Starts orchestration instances; implemented over the Durable client in production. */
export interface InstanceStarter {
  /** True when an instance with this id exists in any state (a duplicate delivery). */
  exists(instanceId: string): Promise<boolean>;
  /** Starts the instance; may throw when one with that id appeared meanwhile. */
  start(instanceId: string, input: DispatchJobInput): Promise<void>;
}

export interface DispatchOptions {
  routes: readonly ResolvedRoute[];
  maxEventBytes: number;
  pollsPerExecution: number;
  /** DISPATCH_ADMISSION, carried in every orchestration input. */
  admission?: boolean;
  starter: InstanceStarter;
  /** Verifies the dispatch-* properties of the dispatcher's own copies (shared/signing). */
  signer: DispatchSigner;
  log?: (message: string) => void;
}

export type RejectionReason = 'InvalidEvent' | 'NoRoute';

export type DispatchResult =
  /** Poison, untrusted or unroutable: dead-letter this message (directly, or via a marked copy in classic mode). */
  | {
      kind: 'dead-letter';
      reason: RejectionReason;
      description: string;
      copy: DeadLetterCopyRequest;
      /** The event, when the body was a valid CloudEvent. */
      event?: DispatchedEvent;
    }
  /** A marked copy signed by the dispatcher: it must end in the dead-letter queue. */
  | { kind: 'marked'; reason: string; description: string }
  | { kind: 'dispatched'; event: DispatchedEvent; instances: DispatchedInstance[] };

/** The identity and routing attributes of the event a message carried. */
export interface DispatchedEvent {
  id: string;
  source: string;
  type: string;
  subject?: string;
}

export interface DispatchedInstance {
  route: string;
  attempt: number;
  instanceId: string;
  /** Resubmission generation, when the delivery was a resubmission (absent: the original delivery). */
  resubmission?: number;
  /** False for a duplicate delivery: the instance already existed and nothing was started. */
  started: boolean;
}

/**
 * The trigger's decision for one message (pure apart from the starter). The body is read FIRST, within the size
 * and depth limits, and any failure to read it is poison (`InvalidEvent`), never an exception that would loop
 * the message. Then the dispatch-* properties: honoured only under a valid signature for this event's
 * (source, id); present but not validly signed, the message is rejected (`InvalidEvent`, saying so). A signed
 * route must still match the event and a signed attempt stay within the route's maxAttempts. Otherwise one
 * orchestration per matching route (or the one route a copy names) starts, unless it already exists.
 */
export async function dispatchMessage(
  message: InboundMessage,
  options: DispatchOptions,
): Promise<DispatchResult> {
  const log = options.log ?? (() => undefined);
  const props = message.applicationProperties ?? {};
  const reject = (
    reason: RejectionReason,
    description: string,
    parsed?: ParsedEvent,
    mark?: DispatchMarks,
  ): DispatchResult => {
    // Logged once, as a warning, by the trigger (logResult); no second line here.
    return {
      kind: 'dead-letter',
      reason,
      description,
      copy: deadLetterCopy(message, reason, description, parsed, mark),
      ...(parsed ? { event: dispatchedEvent(parsed) } : {}),
    };
  };

  let parsed: ParsedEvent;
  try {
    parsed = parseEventMessage(
      {
        body: message.body,
        ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
        applicationProperties: props,
      },
      { maxEventBytes: options.maxEventBytes },
    );
  } catch (err) {
    // Checked only now: a marked copy of a poison message carries a mark signed for no event.
    const marked = markedCopy(options.signer.read(POISON_IDENTITY, props));
    return marked ?? reject('InvalidEvent', parseFailure(err));
  }
  const { event } = parsed;
  const identity: EventIdentity = { source: event.source, id: event.id };

  const reading = options.signer.read(identity, props);
  if (reading.kind === 'untrusted') {
    return reject(
      'InvalidEvent',
      `${reading.reason}; application properties named dispatch-* are reserved for the dispatcher's own signed copies`,
      parsed,
    );
  }
  const marked = markedCopy(reading);
  if (marked) return marked;
  const marks = reading.kind === 'signed' ? reading.marks : {};
  const attempt = marks.attempt ?? 1;
  const resubmission = marks.resubmission ?? 0;

  let routes: readonly ResolvedRoute[];
  if (marks.route !== undefined) {
    const route = options.routes.find((r) => r.name === marks.route);
    const copy = `route "${marks.route}" named by this copy (attempt ${attempt})`;
    if (!route) return reject('NoRoute', `${copy} is no longer in the routes file`, parsed, marks);
    if (!routeMatches(route, event)) {
      return reject('NoRoute', `${copy} does not match the event (${matchText(event)})`, parsed, marks);
    }
    if (attempt > route.policy.maxAttempts) {
      return reject(
        'InvalidEvent',
        `${copy} is beyond the route's maxAttempts of ${route.policy.maxAttempts}`,
        parsed,
        marks,
      );
    }
    routes = [route];
  } else {
    routes = matchRoutes(options.routes, event);
    if (routes.length === 0) return reject('NoRoute', `no route matches ${matchText(event)}`, parsed);
  }

  const instances: DispatchedInstance[] = [];
  for (const route of routes) {
    const instanceId = instanceIdFor(route.name, identity, attempt, resubmission);
    const dispatched = {
      route: route.name,
      attempt,
      instanceId,
      ...(resubmission > 0 ? { resubmission } : {}),
    };
    if (await options.starter.exists(instanceId)) {
      log(
        `event ${eventLabel(parsed)}: instance ${instanceId} already exists (duplicate delivery), not started again`,
      );
      instances.push({ ...dispatched, started: false });
      continue;
    }
    const input: DispatchJobInput = {
      route,
      event: {
        id: event.id,
        type: event.type,
        source: event.source,
        ...(event.subject !== undefined ? { subject: event.subject } : {}),
      },
      eventJson: parsed.json,
      attempt,
      ...(resubmission > 0 ? { resubmission } : {}),
      pollsPerExecution: options.pollsPerExecution,
      ...(message.original ? { original: message.original } : {}),
      ...(options.admission ? { admission: true } : {}),
    };
    try {
      await options.starter.start(instanceId, input);
    } catch (err) {
      // A concurrent delivery may have started it between the check and the start.
      if (await options.starter.exists(instanceId)) {
        log(
          `event ${eventLabel(parsed)}: instance ${instanceId} was started concurrently (duplicate delivery)`,
        );
        instances.push({ ...dispatched, started: false });
        continue;
      }
      throw err;
    }
    log(`event ${eventLabel(parsed)}: started ${instanceId} (route ${route.name}, attempt ${attempt})`);
    instances.push({ ...dispatched, started: true });
  }
  return { kind: 'dispatched', event: dispatchedEvent(parsed), instances };
}

function dispatchedEvent({ event }: ParsedEvent): DispatchedEvent {
  return {
    id: event.id,
    source: event.source,
    type: event.type,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
  };
}

/**
 * The body as text (for the event ledger's record of a rejected message): never JSON.stringify, which recurses
 * and throws on a hostile body the host already parsed.
 */
export function bodyAsText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (body === undefined || body === null) return '';
  return jsonTextOf(body);
}

function markedCopy(reading: MarksReading): DispatchResult | undefined {
  if (reading.kind !== 'signed' || reading.marks.deadLetterReason === undefined) return undefined;
  return {
    kind: 'marked',
    reason: reading.marks.deadLetterReason,
    description: reading.notes.deadLetterDescription ?? '',
  };
}

/** Whatever reading the body threw is the body's fault: a message must never loop because of its content. */
function parseFailure(err: unknown): string {
  if (err instanceof InvalidEventError) return err.message;
  const error = err instanceof Error ? err : new Error(String(err));
  return `body: could not be read (${error.name}: ${error.message.slice(0, 200)})`;
}

function matchText(event: ParsedEvent['event']): string {
  return (
    `type ${JSON.stringify(event.type)}, source ${JSON.stringify(event.source)}` +
    (event.subject !== undefined ? `, subject ${JSON.stringify(event.subject)}` : '')
  );
}

function eventLabel(parsed: ParsedEvent): string {
  return `${parsed.event.id} (source ${parsed.event.source})`;
}
