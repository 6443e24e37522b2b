import { InvalidEventError } from '../../shared/errors/dispatchErrors';
import { parseCloudEvent } from '../../shared/events/parseCloudEvent';
import { DispatchProperty, type DeadLetterCopyRequest } from '../../adapters/serviceBus/eventQueue';
import { deadLetterMessageId, instanceIdFor, poisonMessageId } from '../../shared/naming/dispatchNames';
import { matchRoutes } from '../../shared/routes/matchRoutes';
import type { ResolvedRoute } from '../../shared/routes/resolvedRoute';
import type { DispatchJobInput } from '../../orchestrations/dispatchJob/dispatchJobInput';
import type { OriginalMessage } from '../../adapters/serviceBus/originalMessage';

/** A message as the trigger received it, independent of how the host delivered it. */
export interface InboundMessage {
  /** Parsed JSON, a string or bytes (see parseCloudEvent). */
  body: unknown;
  applicationProperties: Readonly<Record<string, unknown>>;
  messageId?: string;
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
  log?: (message: string) => void;
}

export type DispatchResult =
  /** Poison or unroutable: dead-letter this message (directly, or via a marked copy in classic mode). */
  | {
      kind: 'dead-letter';
      reason: 'InvalidEvent' | 'NoRoute';
      description: string;
      copy: DeadLetterCopyRequest;
      /** The event, when the body was a valid CloudEvent (NoRoute). */
      event?: DispatchedEvent;
    }
  /** A marked copy sent earlier by the dispatcher: it must end in the dead-letter queue. */
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
  /** False for a duplicate delivery: the instance already existed and nothing was started. */
  started: boolean;
}

/**
 * The trigger's decision for one message (pure apart from the starter): reject marked copies, dead-letter
 * poison and unroutable events, otherwise start one orchestration per matching route (or the one route a
 * requeued copy names), skipping instances that already exist.
 */
export async function dispatchMessage(
  message: InboundMessage,
  options: DispatchOptions,
): Promise<DispatchResult> {
  const log = options.log ?? (() => undefined);
  const props = normaliseProperties(message.applicationProperties);

  // Checked before the body: a marked copy of a poison message must not be judged (and copied) again.
  const markedReason = propertyText(props.get(DispatchProperty.deadLetterReason));
  if (markedReason !== undefined && markedReason !== '') {
    return {
      kind: 'marked',
      reason: markedReason,
      description: propertyText(props.get(DispatchProperty.deadLetterDescription)) ?? '',
    };
  }

  const bodyText = bodyAsText(message.body);
  const poison = (error: InvalidEventError): DispatchResult => {
    const description = error.message;
    return {
      kind: 'dead-letter',
      reason: 'InvalidEvent',
      description,
      copy: {
        body: bodyText,
        reason: 'InvalidEvent',
        description,
        messageId: poisonMessageId(bodyText, message.messageId),
        ...(message.original ? { original: message.original } : {}),
      },
    };
  };

  let attempt = 1;
  const rawAttempt = props.get(DispatchProperty.attempt);
  if (rawAttempt !== undefined) {
    const n = typeof rawAttempt === 'number' ? rawAttempt : Number(propertyText(rawAttempt));
    if (!Number.isInteger(n) || n < 1) {
      return poison(
        new InvalidEventError(
          `${DispatchProperty.attempt}: expected a positive integer, got ${JSON.stringify(rawAttempt)}`,
          DispatchProperty.attempt,
        ),
      );
    }
    attempt = n;
  }
  const routeName = propertyText(props.get(DispatchProperty.route));

  let parsed;
  try {
    parsed = parseCloudEvent(message.body, { maxEventBytes: options.maxEventBytes });
  } catch (err) {
    if (err instanceof InvalidEventError) return poison(err);
    throw err;
  }
  const { event } = parsed;
  const dispatchedEvent: DispatchedEvent = {
    id: event.id,
    source: event.source,
    type: event.type,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
  };

  let routes: readonly ResolvedRoute[];
  if (routeName !== undefined) {
    const route = options.routes.find((r) => r.name === routeName);
    if (!route) {
      const description = `route "${routeName}" named by this copy (attempt ${attempt}) is no longer in the routes file`;
      return noRoute(description, event.id, bodyText, parsed.json, routeName, attempt);
    }
    routes = [route];
  } else {
    routes = matchRoutes(options.routes, event);
    if (routes.length === 0) {
      const description =
        `no route matches type ${JSON.stringify(event.type)}, source ${JSON.stringify(event.source)}` +
        (event.subject !== undefined ? `, subject ${JSON.stringify(event.subject)}` : '');
      return noRoute(description, event.id, bodyText, parsed.json);
    }
  }

  const instances: DispatchedInstance[] = [];
  for (const route of routes) {
    const instanceId = instanceIdFor(route.name, event.id, attempt);
    const dispatched = { route: route.name, attempt, instanceId };
    if (await options.starter.exists(instanceId)) {
      log(`event ${event.id}: instance ${instanceId} already exists (duplicate delivery), not started again`);
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
      pollsPerExecution: options.pollsPerExecution,
      ...(message.original ? { original: message.original } : {}),
      ...(options.admission ? { admission: true } : {}),
    };
    try {
      await options.starter.start(instanceId, input);
    } catch (err) {
      // A concurrent delivery may have started it between the check and the start.
      if (await options.starter.exists(instanceId)) {
        log(`event ${event.id}: instance ${instanceId} was started concurrently (duplicate delivery)`);
        instances.push({ ...dispatched, started: false });
        continue;
      }
      throw err;
    }
    log(`event ${event.id}: started ${instanceId} (route ${route.name}, attempt ${attempt})`);
    instances.push({ ...dispatched, started: true });
  }
  return { kind: 'dispatched', event: dispatchedEvent, instances };

  function noRoute(
    description: string,
    eventId: string,
    body: string,
    json: string,
    route?: string,
    forAttempt?: number,
  ): DispatchResult {
    return {
      kind: 'dead-letter',
      reason: 'NoRoute',
      description,
      event: dispatchedEvent,
      copy: {
        body: body === '' ? json : body,
        eventId,
        ...(route !== undefined ? { route, attempt: forAttempt ?? 1 } : {}),
        reason: 'NoRoute',
        description,
        messageId: deadLetterMessageId(eventId, route, forAttempt),
        ...(message.original ? { original: message.original } : {}),
      },
    };
  }
}

/** The host camel-cases property names (first letter only); ours are lower-case already, but be lenient. */
function normaliseProperties(props: Readonly<Record<string, unknown>>): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (const [key, value] of Object.entries(props ?? {})) map.set(key.toLowerCase(), value);
  return map;
}

/** Property values may arrive JSON-parsed by the worker (numbers, booleans) or as Dates. */
function propertyText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return value.toString();
  return JSON.stringify(value);
}

/** The body as text for copies: resent unchanged when it was text, re-serialised when the host parsed it. */
export function bodyAsText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (body === undefined || body === null) return '';
  return JSON.stringify(body) ?? '';
}
