import { ArmError } from './armError';

/** ACI's per (subscription, region) limits the emulator enforces. */
export interface AciQuota {
  /** Standard container groups that may exist at once. */
  containerGroups: number;
  /** Standard cores: the sum of every container's CPU request over the groups that exist. */
  cores: number;
  /** Container group creates accepted in any 5-minute window. */
  createsPer5Min: number;
  /** Container group creates accepted in any 1-hour window. */
  createsPerHour: number;
}

/**
 * ACI's documented defaults ("Azure Container Instances resource and quota limits", changeable limits):
 * 100 standard container groups and 100 standard cores per region per subscription, 300 creates per hour,
 * 100 creates per 5 minutes.
 */
export const DEFAULT_ACI_QUOTA: Readonly<AciQuota> = Object.freeze({
  containerGroups: 100,
  cores: 100,
  createsPer5Min: 100,
  createsPerHour: 300,
});

const QUOTA_KEYS = Object.keys(DEFAULT_ACI_QUOTA) as (keyof AciQuota)[];

/**
 * Parses `containerGroups=N,cores=N,createsPer5Min=N,createsPerHour=N` (any subset; the rest keep ACI's
 * defaults). The one parser behind `emulate aci --quota` and `dev --aci-quota`. Throws an Error naming the bad
 * part.
 */
export function parseAciQuota(text: string): AciQuota {
  const quota: AciQuota = { ...DEFAULT_ACI_QUOTA };
  const seen = new Set<string>();
  const parts = text.split(',').map((p) => p.trim());
  if (parts.every((p) => p.length === 0)) throw new Error(`empty quota: expected ${quotaSyntax()}`);
  for (const part of parts) {
    const match = /^([A-Za-z0-9]+)=(.*)$/.exec(part);
    if (!match) throw new Error(`quota part "${part}" is not NAME=VALUE; expected ${quotaSyntax()}`);
    const [, name = '', raw = ''] = match;
    if (!(QUOTA_KEYS as string[]).includes(name))
      throw new Error(`unknown quota "${name}" in "${part}"; expected one of ${QUOTA_KEYS.join(', ')}`);
    if (seen.has(name)) throw new Error(`quota "${name}" is given twice`);
    seen.add(name);
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value))
      throw new Error(`quota "${part}": the value must be a whole number >= 0, got "${raw}"`);
    quota[name as keyof AciQuota] = value;
  }
  return quota;
}

/** Checks a quota handed over in code (or as JSON to an emulator process). */
export function validateAciQuota(value: Partial<AciQuota>, where: string): AciQuota {
  const quota: AciQuota = { ...DEFAULT_ACI_QUOTA };
  for (const [name, limit] of Object.entries(value)) {
    if (!(QUOTA_KEYS as string[]).includes(name))
      throw new Error(`${where}: unknown quota "${name}"; expected one of ${QUOTA_KEYS.join(', ')}`);
    if (limit === undefined) continue;
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0)
      throw new Error(`${where}.${name}: must be a whole number >= 0, got ${JSON.stringify(limit)}`);
    quota[name as keyof AciQuota] = limit;
  }
  return quota;
}

function quotaSyntax(): string {
  return 'containerGroups=N,cores=N,createsPer5Min=N,createsPerHour=N (any subset)';
}

/** ARM normalises a location: "West Europe" and "westeurope" are the same region. */
export function normalizeLocation(location: string): string {
  return location.toLowerCase().replace(/\s+/g, '');
}

/** What exists in one (subscription, region) right now. */
export interface RegionUsage {
  containerGroups: number;
  cores: number;
}

const FIVE_MINUTES_MS = 5 * 60_000;
const HOUR_MS = 60 * 60_000;

function formatCores(value: number): string {
  // Requests like 0.1 + 0.2 must not print as 0.30000000000000004.
  return String(Math.round(value * 1000) / 1000);
}

/**
 * ACI's answer to a create past a quota: 400 ContainerGroupQuotaReached with this wording (seen from ACI for
 * 'StandardCores', 'ContainerGroups', 'StandardSpotCores', 'P100Cores'). No Retry-After: waiting does not help
 * until something is deleted.
 */
function quotaReached(name: string, location: string, limit: number, usage: string, requested: string) {
  return new ArmError(
    400,
    'ContainerGroupQuotaReached',
    `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota '${name}' exceeded in region '${location}'. Limit: '${limit}', Usage: '${usage}' Requested: '${requested}'.`,
  );
}

/**
 * Enforces a quota per (subscription, region). Usage is computed by the caller from the groups that exist (so a
 * delete frees its share at once); only the create-rate windows are state of their own, kept in memory.
 */
export class AciQuotaTracker {
  /** subscription|region -> accept times of recent creates (ms, ascending). */
  private readonly creates = new Map<string, number[]>();

  constructor(
    readonly quota: AciQuota,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Throws ARM's error if creating a group of `cores` in this region would break a limit; otherwise records
   * the create in the rate windows. The rate limit is checked first, as ARM throttles before the resource
   * provider looks at the request.
   */
  admitCreate(subscriptionId: string, location: string, usage: RegionUsage, cores: number): void {
    const key = `${subscriptionId.toLowerCase()}|${normalizeLocation(location)}`;
    const now = this.now();
    const times = (this.creates.get(key) ?? []).filter((t) => t > now - HOUR_MS);
    this.throttleIfOver(times, now, FIVE_MINUTES_MS, this.quota.createsPer5Min, '00:05:00');
    this.throttleIfOver(times, now, HOUR_MS, this.quota.createsPerHour, '01:00:00');
    const region = normalizeLocation(location);
    if (usage.containerGroups + 1 > this.quota.containerGroups)
      throw quotaReached(
        'ContainerGroups',
        region,
        this.quota.containerGroups,
        String(usage.containerGroups),
        '1',
      );
    // A small epsilon: 0.1 + 0.2 requested on a limit of 0.3 is within it.
    if (usage.cores + cores > this.quota.cores + 1e-9)
      throw quotaReached(
        'StandardCores',
        region,
        this.quota.cores,
        formatCores(usage.cores),
        formatCores(cores),
      );
    times.push(now);
    this.creates.set(key, times);
  }

  /**
   * A create past a rate limit: 429 with Retry-After = seconds until the oldest create leaves the window.
   * Code and wording are ARM's resource-provider throttling answer (ResourceRequestsThrottled, "Number of
   * requests for action ... exceeded the limit of ... for time interval ..."), as ARM words it for other
   * providers; the exact answer of ACI for its create-rate limit could not be verified (see README).
   */
  private throttleIfOver(
    times: number[],
    now: number,
    windowMs: number,
    limit: number,
    interval: string,
  ): void {
    const inWindow = times.filter((t) => t > now - windowMs);
    if (inWindow.length < limit) return;
    // The create that must leave the window before one more fits (limit 0: never; say the whole window).
    const leaving = inWindow[inWindow.length - limit];
    const retryAfter =
      leaving === undefined ? windowMs / 1000 : Math.max(1, Math.ceil((leaving + windowMs - now) / 1000));
    throw new ArmError(
      429,
      'ResourceRequestsThrottled',
      `Number of requests for action 'Microsoft.ContainerInstance/containerGroups/write' exceeded the limit of '${limit}' for time interval '${interval}'. Please try again after '${retryAfter}' seconds.`,
      { 'Retry-After': String(retryAfter) },
    );
  }

  /** Accept times of the creates still inside the hourly window, per subscription|region (for the state file). */
  createTimes(): Record<string, number[]> {
    const cutoff = this.now() - HOUR_MS;
    const out: Record<string, number[]> = {};
    for (const [key, times] of this.creates) {
      const recent = times.filter((t) => t > cutoff);
      if (recent.length > 0) out[key] = recent;
    }
    return out;
  }

  /** Restores them: ARM's rate counters do not reset because the emulator restarted. */
  restoreCreateTimes(saved: Record<string, unknown> | undefined): void {
    for (const [key, times] of Object.entries(saved ?? {}))
      if (Array.isArray(times))
        this.creates.set(
          key,
          times.filter((t): t is number => typeof t === 'number'),
        );
  }

  /** The Usage API's entries (names and localized names as ACI's own example shows them). */
  usages(
    subscriptionId: string,
    location: string,
    usage: RegionUsage,
  ): {
    id: string;
    unit: string;
    currentValue: number;
    limit: number;
    name: { value: string; localizedValue: string };
  }[] {
    const base = `/subscriptions/${subscriptionId}/providers/Microsoft.ContainerInstance/locations/${normalizeLocation(location)}/usages`;
    return [
      {
        id: `${base}/ContainerGroups`,
        unit: 'Count',
        currentValue: usage.containerGroups,
        limit: this.quota.containerGroups,
        name: { value: 'ContainerGroups', localizedValue: 'Container Groups' },
      },
      {
        id: `${base}/StandardCores`,
        unit: 'Count',
        // The Usage API's currentValue is an integer; fractional requests round up (0.5 CPU holds a core).
        currentValue: Math.ceil(usage.cores - 1e-9),
        limit: this.quota.cores,
        name: { value: 'StandardCores', localizedValue: 'Standard Cores' },
      },
    ];
  }
}
