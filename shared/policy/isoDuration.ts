/**
 * ISO-8601 durations as used in the routes file (`PT30S`, `PT1H`, `P1DT12H`, `P2W`).
 * Years and months are rejected: their length depends on the calendar, and a job timeout must not.
 */

export type DurationParseResult = { ok: true; ms: number } | { ok: false; message: string };

const DURATION =
  /^P(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

const NUM = String.raw`\d+(?:[.,]\d+)?`;
const WITH_YEARS_OR_MONTHS = new RegExp(
  `^P(?:${NUM}Y)?(?:${NUM}M)?(?:${NUM}W)?(?:${NUM}D)?(?:T(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`,
);

const UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000] as const;

export function tryParseIsoDuration(text: unknown): DurationParseResult {
  if (typeof text !== 'string') {
    return {
      ok: false,
      message: `expected an ISO-8601 duration string such as "PT30S", got ${describe(text)}`,
    };
  }
  const trimmed = text.trim().toUpperCase();
  const match = DURATION.exec(trimmed);
  if (!match && WITH_YEARS_OR_MONTHS.test(trimmed)) {
    return {
      ok: false,
      message: `expected an ISO-8601 duration without years or months (use days or weeks, e.g. "P30D"), got "${text}"`,
    };
  }
  if (!match || trimmed === 'P' || trimmed.endsWith('T')) {
    return {
      ok: false,
      message: `expected an ISO-8601 duration such as "PT30S", "PT1H" or "P1DT12H", got "${text}"`,
    };
  }
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) ms += Number(part.replace(',', '.')) * UNIT_MS[i]!;
  }
  ms = Math.round(ms);
  if (!Number.isSafeInteger(ms)) return { ok: false, message: `duration "${text}" is too large` };
  return { ok: true, ms };
}

/** Milliseconds in `text`; throws RangeError with the reason when it is not a usable ISO-8601 duration. */
export function parseIsoDuration(text: string): number {
  const result = tryParseIsoDuration(text);
  if (!result.ok) throw new RangeError(result.message);
  return result.ms;
}

/** Compact ISO-8601 form of a millisecond duration (for messages and docs), e.g. 90_000 -> "PT1M30S". */
export function formatIsoDuration(ms: number): string {
  if (ms <= 0) return 'PT0S';
  let rest = ms;
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
