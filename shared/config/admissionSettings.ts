import { tryParseIsoDuration } from '../policy/isoDuration';
import { ACI_DEFAULT_QUOTA, parseQuotaSpec, type QuotaLimits } from './quotaSpec';

/** Capacity admission settings (docs/settings.md, docs/admission.md). */
export interface AdmissionSettings {
  /** `off`: today's behaviour, creates go straight to ARM and capacity errors consume attempts. */
  enabled: boolean;
  /** For every target without its own entry. */
  defaultLimits: QuotaLimits;
  /** Keyed by `<subscriptionId>/<location>`, lower-case. */
  targetLimits: Record<string, QuotaLimits>;
  /** How often the coordinator checks holders against their instances and reads the Usage API. */
  reconcileIntervalMs: number;
}

const DEFAULT_RECONCILE_INTERVAL = 'PT5M';
const TARGET_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/[a-z0-9]+$/;

/**
 * Reads DISPATCH_ADMISSION, DISPATCH_ADMISSION_DEFAULT_LIMITS, DISPATCH_ADMISSION_TARGET_LIMITS and
 * DISPATCH_ADMISSION_RECONCILE_INTERVAL, pushing one issue per bad setting (loadSettings reports them together).
 */
export function readAdmissionSettings(
  get: (name: string) => string | undefined,
  issues: string[],
): AdmissionSettings {
  const mode = get('DISPATCH_ADMISSION') ?? 'on';
  if (mode !== 'on' && mode !== 'off')
    issues.push(`DISPATCH_ADMISSION: expected "on" or "off", got "${mode}"`);

  let defaultLimits: QuotaLimits = { ...ACI_DEFAULT_QUOTA };
  const defaultText = get('DISPATCH_ADMISSION_DEFAULT_LIMITS');
  if (defaultText !== undefined) {
    const parsed = parseQuotaSpec(defaultText);
    if (parsed.ok) defaultLimits = parsed.limits;
    else issues.push(`DISPATCH_ADMISSION_DEFAULT_LIMITS: ${parsed.message}`);
  }

  const targetLimits: Record<string, QuotaLimits> = {};
  const targetText = get('DISPATCH_ADMISSION_TARGET_LIMITS');
  if (targetText !== undefined) {
    const name = 'DISPATCH_ADMISSION_TARGET_LIMITS';
    let json: unknown;
    try {
      json = JSON.parse(targetText);
    } catch (err) {
      issues.push(`${name}: expected a JSON object, ${err instanceof Error ? err.message : String(err)}`);
    }
    if (json !== undefined && (typeof json !== 'object' || json === null || Array.isArray(json))) {
      issues.push(`${name}: expected a JSON object {"<subscriptionId>/<location>": "containerGroups=N,..."}`);
    } else if (json !== undefined) {
      for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
        const normalized = key.toLowerCase();
        if (!TARGET_KEY.test(normalized)) {
          issues.push(
            `${name}["${key}"]: expected "<subscriptionId>/<location>" such as "<guid>/westeurope"`,
          );
          continue;
        }
        if (typeof value !== 'string') {
          issues.push(`${name}["${key}"]: expected a string such as "containerGroups=200,cores=400"`);
          continue;
        }
        const parsed = parseQuotaSpec(value, defaultLimits);
        if (parsed.ok) targetLimits[normalized] = parsed.limits;
        else issues.push(`${name}["${key}"]: ${parsed.message}`);
      }
    }
  }

  const intervalText = get('DISPATCH_ADMISSION_RECONCILE_INTERVAL') ?? DEFAULT_RECONCILE_INTERVAL;
  const interval = tryParseIsoDuration(intervalText);
  let reconcileIntervalMs = 300_000;
  if (!interval.ok || interval.ms < 1_000 || interval.ms > 3_600_000) {
    issues.push(
      `DISPATCH_ADMISSION_RECONCILE_INTERVAL: expected an ISO-8601 duration from PT1S to PT1H, got "${intervalText}"`,
    );
  } else reconcileIntervalMs = interval.ms;

  return { enabled: mode !== 'off', defaultLimits, targetLimits, reconcileIntervalMs };
}

/** The limits admission applies to a target: its own entry, else the default. */
export function limitsForTarget(
  settings: Pick<AdmissionSettings, 'defaultLimits' | 'targetLimits'>,
  target: { subscriptionId: string; location: string },
): QuotaLimits {
  return (
    settings.targetLimits[`${target.subscriptionId}/${target.location}`.toLowerCase()] ??
    settings.defaultLimits
  );
}
