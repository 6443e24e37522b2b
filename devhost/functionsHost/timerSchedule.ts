/**
 * NCRONTAB schedules as the Functions timer trigger reads them: six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}` (`*`, lists, ranges, steps, month/day names), or a
 * TimeSpan `hh:mm:ss` meaning "every interval". Times are UTC (WEBSITE_TIME_ZONE is not honoured locally).
 */
export interface TimerSchedule {
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseField(
  text: string,
  min: number,
  max: number,
  names: string[] | undefined,
  label: string,
  schedule: string,
): Set<number> {
  const values = new Set<number>();
  const toNumber = (token: string): number => {
    const lower = token.toLowerCase();
    const named = names ? names.indexOf(lower.slice(0, 3)) : -1;
    if (named >= 0 && /^[a-z]+$/.test(lower)) return named + (label === 'month' ? 1 : 0);
    if (!/^\d+$/.test(token)) throw new Error(`schedule '${schedule}': ${label} '${token}' is not a number`);
    return Number(token);
  };
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new Error(`schedule '${schedule}': bad step in ${label} '${part}'`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = toNumber(a);
      to = toNumber(b);
    } else {
      from = toNumber(range);
      to = stepText === undefined ? from : max;
    }
    if (label === 'day-of-week' && to === 7) to = 7;
    if (from < min || to > (label === 'day-of-week' ? 7 : max) || from > to) {
      throw new Error(`schedule '${schedule}': ${label} '${part}' is outside ${min}-${max}`);
    }
    for (let v = from; v <= to; v += step) values.add(label === 'day-of-week' && v === 7 ? 0 : v);
  }
  return values;
}

export function parseTimerSchedule(schedule: string): TimerSchedule {
  const trimmed = schedule.trim();
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(trimmed);
  if (span) {
    const ms =
      (((Number(span[1] ?? 0) * 24 + Number(span[2])) * 60 + Number(span[3])) * 60 + Number(span[4])) * 1000;
    if (ms <= 0) throw new Error(`schedule '${schedule}': the interval must be positive`);
    return { next: (after) => new Date(after.getTime() + ms) };
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `schedule '${schedule}': expected six NCRONTAB fields '{second} {minute} {hour} {day} {month} {day-of-week}'`,
    );
  }
  const [sec, min, hour, day, month, dow] = fields as [string, string, string, string, string, string];
  const seconds = parseField(sec, 0, 59, undefined, 'second', schedule);
  const minutes = parseField(min, 0, 59, undefined, 'minute', schedule);
  const hours = parseField(hour, 0, 23, undefined, 'hour', schedule);
  const days = parseField(day, 1, 31, undefined, 'day', schedule);
  const months = parseField(month, 1, 12, monthNames, 'month', schedule);
  const weekdays = parseField(dow, 0, 6, dayNames, 'day-of-week', schedule);
  const dayIsWild = day === '*';
  const dowIsWild = dow === '*';
  const dayMatches = (d: Date): boolean => {
    // Classic cron: when both day fields are restricted, either may match.
    const byDay = days.has(d.getUTCDate());
    const byDow = weekdays.has(d.getUTCDay());
    if (dayIsWild) return byDow;
    if (dowIsWild) return byDay;
    return byDay || byDow;
  };
  return {
    next(after) {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
      while (t.getTime() <= limit) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
          continue;
        }
        if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
          continue;
        }
        if (!seconds.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
          continue;
        }
        return new Date(t.getTime());
      }
      throw new Error(`schedule '${schedule}': no occurrence within five years`);
    },
  };
}
