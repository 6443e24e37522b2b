import { MAX_CALLBACK_OUTPUT_BYTES } from '../../shared/callbacks/callbackRoute';
import { callbackTokenMatches, type CallbackKey } from '../../shared/callbacks/callbackToken';
import { isNotFound } from '../../shared/errors/isNotFound';
import { JOB_CALLBACK_EVENT, type JobCallbackData } from '../../orchestrations/dispatchJob/contracts';
import type { InstanceSnapshot } from '../status/jobStatus';

/** The part of the Durable client a callback needs (durable-functions' DurableClient has both). */
export interface CallbackClient {
  getStatus(instanceId: string): Promise<InstanceSnapshot>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
}

export interface CallbackRequest {
  instanceId: string;
  /** The Authorization header, if any. */
  authorization: string | null;
  /** The raw body ('' when none). */
  body: string;
}

export interface CallbackAnswer {
  status: 202 | 400 | 401 | 409 | 413;
  body: Record<string, unknown>;
}

/** Phases in which the attempt can still take a callback; later ones are settling or settled. */
const OPEN_PHASES = new Set(['Creating', 'Watching']);
const LIVE_RUNTIME = new Set(['Running', 'Pending', 'ContinuedAsNew']);

/**
 * Checks a job's callback and, when it is good, raises the callback event on its orchestration. The token is
 * checked before anything else is looked at, and every refusal of a token says the same thing (401, no detail
 * that would tell a guesser which part was wrong). Settled attempts answer 409 to a good token; a token whose
 * callback was already taken, or past the attempt's deadline, is 401.
 */
export async function acceptCallback(
  client: CallbackClient,
  key: CallbackKey,
  request: CallbackRequest,
  now: Date,
): Promise<CallbackAnswer> {
  const refused: CallbackAnswer = {
    status: 401,
    body: { error: 'invalid, expired or already used callback token' },
  };
  const token = /^Bearer\s+(\S+)\s*$/i.exec(request.authorization ?? '')?.[1];
  if (token === undefined) return refused;
  let instance: InstanceSnapshot;
  try {
    instance = await client.getStatus(request.instanceId);
  } catch (err) {
    if (isNotFound(err)) return refused;
    throw err;
  }
  const status = asRecord(instance.customStatus);
  const deadline = typeof status?.deadline === 'string' ? status.deadline : undefined;
  // Tokens are bound to the attempt's latest deadline, fixed before the job's own deadline is known.
  const bound = typeof status?.latestDeadline === 'string' ? status.latestDeadline : deadline;
  if (deadline === undefined || bound === undefined || status?.callback === undefined) return refused;
  if (!callbackTokenMatches(key, request.instanceId, bound, token)) return refused;

  const phase = typeof status.phase === 'string' ? status.phase : 'Pending';
  if (!LIVE_RUNTIME.has(instance.runtimeStatus) || !OPEN_PHASES.has(phase))
    return {
      status: 409,
      body: { error: `the attempt is already ${phase === 'Settling' ? 'settling' : 'settled'}`, phase },
    };
  if (status.callback === 'received' || now.getTime() > Date.parse(deadline)) return refused;

  const parsed = parseCallbackBody(request.body);
  if (!parsed.ok) return parsed.answer;
  const data: JobCallbackData = {
    receivedAt: now.toISOString(),
    ...(parsed.output !== undefined ? { output: parsed.output } : {}),
  };
  await client.raiseEvent(request.instanceId, JOB_CALLBACK_EVENT, data);
  return { status: 202, body: { accepted: true, instanceId: request.instanceId } };
}

function parseCallbackBody(
  body: string,
): { ok: true; output?: unknown } | { ok: false; answer: CallbackAnswer } {
  if (body.trim() === '') return { ok: true };
  const bad = (error: string): { ok: false; answer: CallbackAnswer } => ({
    ok: false,
    answer: { status: 400, body: { error } },
  });
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return bad(`body: expected JSON ({ "output": ... }): ${(err as Error).message}`);
  }
  const record = asRecord(value);
  if (!record) return bad('body: expected a JSON object { "output": <any JSON> }');
  const unknownKeys = Object.keys(record).filter((k) => k !== 'output');
  if (unknownKeys.length > 0)
    return bad(`body.${unknownKeys[0]}: unexpected field (only "output" is allowed)`);
  if (!('output' in record)) return { ok: true };
  const size = Buffer.byteLength(JSON.stringify(record.output), 'utf8');
  if (size > MAX_CALLBACK_OUTPUT_BYTES) {
    return {
      ok: false,
      answer: {
        status: 413,
        body: { error: `body.output: ${size} bytes of JSON, at most ${MAX_CALLBACK_OUTPUT_BYTES} allowed` },
      },
    };
  }
  return { ok: true, output: record.output };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
