import type * as http from 'node:http';
import type { RuntimeStatus } from './durableErrors';

const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Terminated',
];
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A request the management API answers with `status` and `{ message }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function parseBool(value: string | null): boolean | undefined {
  if (value === null) {
    return undefined;
  }
  if (/^true$/i.test(value)) {
    return true;
  }
  if (/^false$/i.test(value)) {
    return false;
  }
  return undefined;
}

export function parseDate(value: string | null, name: string): Date | undefined {
  if (value === null || value === '') {
    return undefined;
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new HttpError(400, `Query parameter '${name}' is not a valid date-time: ${value}`);
  }
  return date;
}

export function parseStatuses(value: string | null): RuntimeStatus[] | undefined {
  if (value === null || value === '') {
    return undefined;
  }
  const statuses: RuntimeStatus[] = [];
  for (const part of value.split(',')) {
    const match = RUNTIME_STATUSES.find((s) => s.toLowerCase() === part.trim().toLowerCase());
    // The extension silently skips values it cannot parse (Enum.TryParse); so do we.
    if (match) {
      statuses.push(match);
    }
  }
  return statuses.length > 0 ? statuses : undefined;
}

/** The request body as text; 413 past 16 MiB. */
export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON request body passed through as text (undefined when empty); 400 naming `what` if it is not JSON. */
export function jsonBody(body: string, what: string): string | undefined {
  if (body.trim() === '') {
    return undefined;
  }
  try {
    JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, `Invalid JSON content in ${what}: ${(error as Error).message}`);
  }
  return body;
}
