/**
 * ACI quota figures per subscription and region, and their text form `containerGroups=N,cores=N,createsPer5Min=N,
 * createsPerHour=N` (the syntax of DISPATCH_ADMISSION_*_LIMITS and of the ACI emulator's `--quota`). Fields left
 * out keep the base value (ACI's defaults unless said otherwise).
 */
export interface QuotaLimits {
  containerGroups: number;
  cores: number;
  createsPer5Min: number;
  createsPerHour: number;
}

/** ACI's default quotas for a subscription and region (standard SKU), as documented for Container Instances. */
export const ACI_DEFAULT_QUOTA: Readonly<QuotaLimits> = Object.freeze({
  containerGroups: 100,
  cores: 100,
  createsPer5Min: 100,
  createsPerHour: 300,
});

const FIELDS = Object.keys(ACI_DEFAULT_QUOTA) as (keyof QuotaLimits)[];

export type QuotaSpecResult = { ok: true; limits: QuotaLimits } | { ok: false; message: string };

export function parseQuotaSpec(
  text: string,
  base: Readonly<QuotaLimits> = ACI_DEFAULT_QUOTA,
): QuotaSpecResult {
  const limits: QuotaLimits = { ...base };
  const seen = new Set<string>();
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const match = /^([A-Za-z0-9]+)=(\d+)$/.exec(part);
    if (!match)
      return { ok: false, message: `expected name=integer pairs separated by commas, got "${part}"` };
    const name = FIELDS.find((f) => f.toLowerCase() === match[1]!.toLowerCase());
    if (!name) return { ok: false, message: `unknown quota "${match[1]}" (expected ${FIELDS.join(', ')})` };
    if (seen.has(name)) return { ok: false, message: `quota "${name}" given twice` };
    seen.add(name);
    const value = Number(match[2]);
    if (value < 1 || value > 1_000_000)
      return { ok: false, message: `${name}: expected an integer from 1 to 1000000, got ${match[2]}` };
    limits[name] = value;
  }
  return { ok: true, limits };
}
