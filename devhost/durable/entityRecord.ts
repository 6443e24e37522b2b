import type { HistoryEvent } from './historyEvent';

/**
 * Durable Entities as the extension keeps them: each entity is addressed by its scheduler id
 * `@<name lower-cased>@<key>` (durable-functions' EntityId.getSchedulerIdFromEntityId), holds its state
 * as JSON text and receives operation requests in a queue it works through one batch at a time.
 */

/** One operation request (the extension's RequestMessage, with the fields the entity batch needs). */
export interface EntityRequest {
  /** Request id; a call's response is raised to the caller as an event with this name. */
  id: string;
  /** Operation name. */
  op: string;
  /** Fire-and-forget (no response) when true. */
  signal: boolean;
  /** Operation input as JSON text; undefined = none. */
  input?: string;
  /** The orchestration that sent it (calls are answered there). */
  parent?: { instanceId: string; executionId: string; taskSeq: number };
}

/**
 * What a committed batch still has to send: answers to callers and signals to other entities. Kept in the
 * entity's file with its new state (one atomic write), so a crash before they are sent does not lose them.
 */
export type EntityOutboxMessage =
  | { kind: 'response'; instanceId: string; executionId: string; event: HistoryEvent }
  | { kind: 'signal'; name: string; key: string; request: EntityRequest };

export interface EntityRecord {
  /** The scheduler id `@name@key` (the instance id the extension gives the entity). */
  instanceId: string;
  name: string;
  key: string;
  exists: boolean;
  /** State as JSON text (what the entity function's setState stored). */
  stateJson?: string;
  queue: EntityRequest[];
  /** Ids of the latest requests processed, so a request re-sent after a restart is not applied twice. */
  recentRequestIds: string[];
  outbox: EntityOutboxMessage[];
  lastModifiedTime: string;
}

/** How many processed request ids an entity remembers for de-duplication. */
export const RECENT_REQUEST_IDS = 1000;

export function entitySchedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

/** `@name@key` to its parts; throws naming the id when it is not one. */
export function parseEntitySchedulerId(schedulerId: string): { name: string; key: string } {
  const at = schedulerId.indexOf('@', 1);
  if (!schedulerId.startsWith('@') || at < 0) {
    throw new RangeError(`Entity id "${schedulerId}" is not of the form @name@key`);
  }
  return { name: schedulerId.slice(1, at), key: schedulerId.slice(at + 1) };
}
