/**
 * How the extension carries values in history: as JSON text. These helpers keep the engine's conversions
 * between values and that text in one place.
 */

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** History/JSON text to a value; text that is not JSON is passed through as a string (as the extension does). */
export function parseJsonText(text: string | undefined): unknown {
  if (text === undefined || text === '') {
    return null;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function toJsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** durable-functions' Utils.processInput JSON-encodes string inputs; the extension decodes them again. */
export function processedInputToJsonText(input: unknown): string | undefined {
  if (input === undefined) {
    return undefined;
  }
  if (typeof input === 'string') {
    try {
      JSON.parse(input);
      return input;
    } catch {
      return JSON.stringify(input);
    }
  }
  return JSON.stringify(input);
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return typeof error === 'string' ? error : JSON.stringify(error);
}
