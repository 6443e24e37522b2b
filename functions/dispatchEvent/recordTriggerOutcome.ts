import { createHash } from 'node:crypto';
import type { EventLedger } from '../../adapters/ledger/eventLedger';
import { attributeTextProblem } from '../../shared/events/attributeTextProblem';

/** What the trigger decided for one delivery, in the ledger's terms. */
export interface TriggerOutcome {
  messageId?: string;
  /** ISO-8601. */
  receivedAt: string;
  /** The CloudEvent's identity when the body was one (accepted events always; rejected ones when readable). */
  event?: { id: string; source: string; type?: string; subject?: string };
  /** The body as received, to find an identity in a rejected message that is not a valid event. */
  bodyText?: string;
  result:
    | { kind: 'rejected'; reason: string; description: string }
    | {
        kind: 'dispatched';
        instances: ReadonlyArray<{
          route: string;
          attempt: number;
          instanceId: string;
          resubmission?: number;
        }>;
      };
}

/**
 * Records one delivery in the ledger: the event and its routes, then each attempt it started (a duplicate
 * delivery records nothing new for an attempt), or its rejection. A rejected message that is not a valid
 * CloudEvent is recorded under the `id` (and `source`) it carries when its JSON has them, because that is
 * what its producer will look for; otherwise under its MessageId, or a hash of its body when it has none.
 */
export async function recordTriggerOutcome(ledger: EventLedger, outcome: TriggerOutcome): Promise<void> {
  const { result, receivedAt } = outcome;
  const messageId = outcome.messageId !== undefined ? { messageId: outcome.messageId } : {};
  if (result.kind === 'rejected') {
    const identity = outcome.event ?? readableIdentity(outcome.bodyText) ?? fallbackIdentity(outcome);
    await ledger.recordRejected({
      eventId: identity.id,
      source: identity.source,
      ...(identity.type !== undefined ? { type: identity.type } : {}),
      ...(identity.subject !== undefined ? { subject: identity.subject } : {}),
      ...messageId,
      receivedAt,
      reason: result.reason,
      description: result.description,
    });
    return;
  }
  const event = outcome.event;
  if (!event) throw new Error('recordTriggerOutcome: a dispatched delivery must name its event');
  const key = { eventId: event.id, source: event.source };
  const routes = [...new Set(result.instances.map((instance) => instance.route))];
  // Different rows: written concurrently.
  await Promise.all([
    ledger.recordReceived({
      ...key,
      ...(event.type !== undefined ? { type: event.type } : {}),
      ...(event.subject !== undefined ? { subject: event.subject } : {}),
      ...messageId,
      receivedAt,
      routes,
    }),
    ...result.instances.map((instance) =>
      ledger.recordAttemptStarted({ ...key, ...instance, startedAt: receivedAt }),
    ),
  ]);
}

/**
 * `id`, `source` and `type` of a JSON object body, when they are non-empty strings that pass the attribute rule
 * (`source` and `type` may be absent). A rejected message's id may be exactly what made it poison (a 300 KB
 * string, a lone surrogate): such an id is no key to record it under, so it falls back to the MessageId.
 */
function readableIdentity(bodyText: string | undefined): TriggerOutcome['event'] {
  if (bodyText === undefined || !bodyText.trimStart().startsWith('{')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { id, source, type } = json as Record<string, unknown>;
  const usable = (name: string, value: unknown): value is string =>
    typeof value === 'string' && value !== '' && attributeTextProblem(name, value) === undefined;
  if (!usable('id', id)) return undefined;
  return {
    id,
    source: usable('source', source) ? source : '',
    ...(usable('type', type) ? { type } : {}),
  };
}

function fallbackIdentity(outcome: TriggerOutcome): NonNullable<TriggerOutcome['event']> {
  if (outcome.messageId !== undefined && outcome.messageId !== '')
    return { id: outcome.messageId, source: '' };
  const hash = createHash('sha256')
    .update(outcome.bodyText ?? '', 'utf8')
    .digest('hex');
  return { id: `body-sha256-${hash}`, source: '' };
}
