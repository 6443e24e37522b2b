import { faultError, type FaultContext, type FaultOperation } from './faultInjector';
import type { ArmError } from './armError';

/** What a rate fault does to the call it hits. */
export type RateFaultKind = '429' | '500' | '503' | 'reset' | 'lost-response';

export interface FaultRates {
  /** Probability (0..1) that a call of that operation is hit. */
  rates: Partial<Record<FaultOperation, number>>;
  /** The kinds a hit picks from, uniformly (default: all). */
  kinds: RateFaultKind[];
  /** Seed of the pseudo-random sequence: the same seed and the same calls in the same order hit the same calls. */
  seed: number;
}

const OPERATIONS: readonly FaultOperation[] = ['create', 'get', 'delete', 'stop', 'logs'];
const KINDS: readonly RateFaultKind[] = ['429', '500', '503', 'reset', 'lost-response'];

function syntax(): string {
  return `<operation>=<rate>,...[,kinds=${KINDS.join('|')}][,seed=N] with operation one of ${OPERATIONS.join(', ')} and rate from 0 to 1 (e.g. create=0.3,get=0.3,delete=0.1)`;
}

/**
 * Parses `create=0.3,get=0.3,delete=0.1[,kinds=429|500|503|reset|lost-response][,seed=N]`: the one parser
 * behind `emulate aci --faults` and `dev --aci-faults`. Throws an Error naming the bad part.
 */
export function parseFaultRates(text: string): FaultRates {
  const result: FaultRates = { rates: {}, kinds: [...KINDS], seed: 1 };
  const seen = new Set<string>();
  const parts = text.split(',').map((p) => p.trim());
  if (parts.every((p) => p.length === 0)) throw new Error(`empty fault spec: expected ${syntax()}`);
  for (const part of parts) {
    const match = /^([a-z]+)=(.*)$/.exec(part);
    if (!match) throw new Error(`fault part "${part}" is not NAME=VALUE; expected ${syntax()}`);
    const [, name = '', value = ''] = match;
    if (seen.has(name)) throw new Error(`fault part "${name}" is given twice`);
    seen.add(name);
    if (name === 'kinds') {
      const kinds = value.split('|').map((k) => k.trim());
      const bad = kinds.find((k) => !(KINDS as string[]).includes(k));
      if (bad !== undefined)
        throw new Error(`unknown fault kind "${bad}" in "${part}"; expected one of ${KINDS.join(', ')}`);
      result.kinds = [...new Set(kinds)] as RateFaultKind[];
    } else if (name === 'seed') {
      const seed = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(seed))
        throw new Error(`fault part "${part}": the seed must be a whole number >= 0`);
      result.seed = seed;
    } else if ((OPERATIONS as string[]).includes(name)) {
      const rate = Number(value);
      if (value.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1)
        throw new Error(`fault part "${part}": the rate must be a number from 0 to 1, got "${value}"`);
      result.rates[name as FaultOperation] = rate;
    } else {
      throw new Error(`unknown fault part "${name}" in "${part}"; expected ${syntax()}`);
    }
  }
  if (Object.keys(result.rates).length === 0)
    throw new Error(`fault spec "${text}" names no operation; expected ${syntax()}`);
  return result;
}

/** Checks fault rates handed over in code (or as JSON to an emulator process). */
export function validateFaultRates(value: FaultRates, where: string): FaultRates {
  for (const [operation, rate] of Object.entries(value.rates ?? {})) {
    if (!(OPERATIONS as string[]).includes(operation))
      throw new Error(
        `${where}.rates: unknown operation "${operation}"; expected one of ${OPERATIONS.join(', ')}`,
      );
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
      throw new Error(
        `${where}.rates.${operation}: must be a number from 0 to 1, got ${JSON.stringify(rate)}`,
      );
  }
  const kinds = value.kinds ?? [...KINDS];
  const bad = kinds.find((k) => !(KINDS as string[]).includes(k));
  if (bad !== undefined || kinds.length === 0)
    throw new Error(`${where}.kinds: expected a non-empty list of ${KINDS.join(', ')}`);
  const seed = value.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`${where}.seed: must be a whole number >= 0`);
  return { rates: { ...value.rates }, kinds: [...kinds], seed };
}

/**
 * mulberry32: a tiny seeded PRNG, so a fault run can be replayed exactly (the chaos fuzz corpus uses it too, so
 * a corpus is reproducible from its seed).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the service must do with a call a rate fault hit. */
export type RateFaultDecision =
  /** Answer this error without performing the call. */
  | { kind: 'error'; error: ArmError }
  /** Destroy the connection without performing the call or answering. */
  | { kind: 'reset' }
  /** Perform the call, then lose its answer: a 500 or a destroyed connection instead. */
  | { kind: 'lost-response'; as: '500' | 'reset' };

/** Hits calls at the configured rates, deterministically for a seed. */
export class RateFaultInjector {
  private readonly random: () => number;
  /** Calls hit so far, per operation (for logs and tests). */
  readonly hits = new Map<FaultOperation, number>();

  constructor(private readonly config: FaultRates) {
    this.random = mulberry32(config.seed);
  }

  decide(operation: FaultOperation, ctx: FaultContext): RateFaultDecision | undefined {
    const rate = this.config.rates[operation] ?? 0;
    if (rate <= 0) return undefined;
    // One draw per call whatever the outcome, so the sequence only depends on the order of the calls.
    const draw = this.random();
    const pick = this.random();
    if (draw >= rate) return undefined;
    this.hits.set(operation, (this.hits.get(operation) ?? 0) + 1);
    const kinds = this.config.kinds;
    const kind = kinds[Math.min(kinds.length - 1, Math.floor(pick * kinds.length))] ?? '500';
    switch (kind) {
      case 'reset':
        return { kind: 'reset' };
      case 'lost-response':
        // The second half of the same draw picks how the answer is lost.
        return { kind: 'lost-response', as: (pick * kinds.length) % 1 < 0.5 ? '500' : 'reset' };
      default:
        return { kind: 'error', error: faultError(kind, ctx) };
    }
  }
}
