import { tryParseIsoDuration } from '../policy/isoDuration';

/** The orphan sweeper: its timer schedule (NCRONTAB or hh:mm:ss) and grace period. */
export interface SweepSettings {
  schedule: string;
  graceMs: number;
}

/** Every five minutes; a group left behind costs money until then, and a sweep costs a few ARM reads. */
export const DEFAULT_SWEEP_SCHEDULE = '0 */5 * * * *';
/** Longer than a create's provisioning wait and a settle's clean-up retries, so the sweeper never races them. */
export const DEFAULT_SWEEP_GRACE = 'PT15M';

/** DISPATCH_SWEEP_SCHEDULE and DISPATCH_SWEEP_GRACE, validated. */
export function readSweepSettings(
  get: (name: string) => string | undefined,
  issues: string[],
): SweepSettings {
  const schedule = get('DISPATCH_SWEEP_SCHEDULE') ?? DEFAULT_SWEEP_SCHEDULE;
  // The Functions timer takes six NCRONTAB fields (with seconds) or a TimeSpan; the host parses the details.
  if (!/^(\S+\s+){5}\S+$/.test(schedule) && !/^\d{1,2}:\d{2}:\d{2}$/.test(schedule)) {
    issues.push(
      `DISPATCH_SWEEP_SCHEDULE: expected an NCRONTAB expression with six fields ("0 */5 * * * *") or hh:mm:ss, got "${schedule}"`,
    );
  }
  const graceText = get('DISPATCH_SWEEP_GRACE') ?? DEFAULT_SWEEP_GRACE;
  const grace = tryParseIsoDuration(graceText);
  if (!grace.ok) issues.push(`DISPATCH_SWEEP_GRACE: ${grace.message}`);
  return { schedule, graceMs: grace.ok ? grace.ms : 0 };
}
