import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import type { DeadLetterReader } from '../../adapters/serviceBus/deadLetterReader';

/** `GET /api/deadletters?top=`: the dead-letter queue's messages with their reasons (peeked, never removed). */
export const DEAD_LETTERS_FUNCTION = 'deadLetters';

const defaultTop = 50;
const maxTop = 250;

export function createDeadLetters(reader: DeadLetterReader) {
  return async (request: HttpRequest): Promise<HttpResponseInit> => {
    const raw = request.query.get('top');
    const top = raw === null || raw === '' ? defaultTop : Number(raw);
    if (!Number.isInteger(top) || top < 1 || top > maxTop)
      return {
        status: 400,
        jsonBody: { error: `top: expected an integer from 1 to ${maxTop}, got "${raw}"` },
      };
    return { status: 200, jsonBody: { entries: await reader.peek(top) } };
  };
}

export function registerDeadLetters(reader: DeadLetterReader): void {
  app.http(DEAD_LETTERS_FUNCTION, {
    methods: ['GET'],
    authLevel: 'function',
    route: 'deadletters',
    handler: createDeadLetters(reader),
  });
}
