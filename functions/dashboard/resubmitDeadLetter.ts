import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { DeadLetterResubmitter } from '../../adapters/serviceBus/deadLetterResubmitter';

/**
 * `POST /api/deadletters/{sequenceNumber}/resubmit` (function key), optional body `{ "keepAttempts": true }`:
 * sends the dead letter back to the dispatch queue with signed resubmission marks and removes it, as
 * `dispatcher dlq resubmit` does. 200 with what was sent; 404 when no such dead letter is there; 422 when it
 * cannot be resubmitted (not a CloudEvent, or nothing signed to continue); 502 when the send failed (kept).
 */
export const RESUBMIT_DEAD_LETTER_FUNCTION = 'resubmitDeadLetter';

async function readKeepAttempts(request: HttpRequest): Promise<boolean | { error: string }> {
  const text = await request.text();
  if (text.trim() === '') return false;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { error: `body: expected JSON like {"keepAttempts": false}: ${(err as Error).message}` };
  }
  const keep = (body as { keepAttempts?: unknown } | null)?.keepAttempts;
  if (keep !== undefined && typeof keep !== 'boolean')
    return { error: `body.keepAttempts: expected true or false, got ${JSON.stringify(keep)}` };
  return keep ?? false;
}

export function createResubmitDeadLetter(resubmitter: DeadLetterResubmitter) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const sequenceNumber = request.params.sequenceNumber ?? '';
    if (!/^\d{1,20}$/.test(sequenceNumber))
      return {
        status: 400,
        jsonBody: {
          error: `sequenceNumber: expected the dead letter's sequence number, got "${sequenceNumber}"`,
        },
      };
    const keepAttempts = await readKeepAttempts(request);
    if (typeof keepAttempts !== 'boolean') return { status: 400, jsonBody: keepAttempts };
    const report = await resubmitter.resubmit(sequenceNumber, { keepAttempts });
    if (!report)
      return {
        status: 404,
        jsonBody: {
          error: `no dead letter with sequence number ${sequenceNumber} (resubmitted or purged already, or locked by another resubmit)`,
          sequenceNumber,
        },
      };
    context.log(
      `dead letter ${sequenceNumber} (event ${report.eventId ?? '-'}): ${report.action}${report.note ? `: ${report.note}` : ''}`,
    );
    if (report.action === 'skipped') return { status: 422, jsonBody: { error: report.note, ...report } };
    if (report.action === 'failed') return { status: 502, jsonBody: { error: report.note, ...report } };
    return { status: 200, jsonBody: report };
  };
}

export function registerResubmitDeadLetter(resubmitter: DeadLetterResubmitter): void {
  app.http(RESUBMIT_DEAD_LETTER_FUNCTION, {
    methods: ['POST'],
    authLevel: 'function',
    route: 'deadletters/{sequenceNumber}/resubmit',
    handler: createResubmitDeadLetter(resubmitter),
  });
}
