/**
 * ISO-8601 durations as used in the routes file (`PT30S`, `PT1H`, `P1DT12H`, `P2W`).
 * Years and months are rejected: their length depends on the calendar, and a job timeout must not.
 */

import { Temporal } from '@js-temporal/polyfill';

export type DurationParseResult = { ok: true; ms: number } | { ok: false; message: string };

const MS = { weeks: 7 * 86_400_000, days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000 };

/**
 * Parsing is Temporal.Duration.from (the TC39 reference polyfill): the full ISO-8601 grammar, including the
 * rules a hand-written regex tends to miss (a `T` must be followed by a time part, only the smallest unit may
 * have a fraction, "P1.5D" is not a duration). tinyduration was evaluated and not used: its pattern is not
 * anchored ("PT5SX" and "P1DT" parse) and its errors carry no detail. What stays here is the dispatcher's
 * policy: no sign, no years or months, and a result in milliseconds.
 */
export function tryParseIsoDuration(text: unknown): DurationParseResult {
  if (typeof text !== 'string') {
    return {
      ok: false,
      message: `expected an ISO-8601 duration string such as "PT30S", got ${describe(text)}`,
    };
  }
  let duration: Temporal.Duration;
  try {
    // Temporal accepts "-PT5S"; a negative timeout or delay is never meant.
    if (/^\s*[+-]/.test(text)) throw new RangeError('signed');
    duration = Temporal.Duration.from(text.trim());
  } catch {
    return {
      ok: false,
      message: `expected an ISO-8601 duration such as "PT30S", "PT1H" or "P1DT12H", got "${text}"`,
    };
  }
  if (duration.years !== 0 || duration.months !== 0) {
    return {
      ok: false,
      message: `expected an ISO-8601 duration without years or months (use days or weeks, e.g. "P30D"), got "${text}"`,
    };
  }
  const ms = Math.round(
    duration.weeks * MS.weeks +
      duration.days * MS.days +
      duration.hours * MS.hours +
      duration.minutes * MS.minutes +
      duration.seconds * MS.seconds +
      duration.milliseconds +
      duration.microseconds / 1000 +
      duration.nanoseconds / 1_000_000,
  );
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
