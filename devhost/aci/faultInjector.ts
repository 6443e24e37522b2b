import { ArmError } from './armError';

/** Operations a fault can be attached to. */
export type FaultOperation = 'create' | 'get' | 'delete' | 'stop' | 'logs';
export type FaultKind = '429' | '500' | '503' | 'capacity' | 'quota';

export interface FaultRule {
  operation: FaultOperation;
  kind: FaultKind;
  /** How many times (the first N calls) the fault answers; afterwards the call goes through. */
  times: number;
}

/** The tag a container group carries to get faults injected (through the API only, no private hooks). */
export const FAULT_TAG = 'emulator-fault';

const OPERATIONS: readonly string[] = ['create', 'get', 'delete', 'stop', 'logs'];
const KINDS: readonly string[] = ['429', '500', '503', 'capacity', 'quota'];

/**
 * Parses `create:429`, `create:500x2`, `create:capacity,get:503x3` (comma or space separated).
 * A bad rule is a 400 naming it, so a typo in a test never silently disables the fault.
 */
export function parseFaultTag(value: string): FaultRule[] {
  return value
    .split(/[\s,;]+/)
    .filter((part) => part.length > 0)
    .map((part) => {
      const match = /^([a-z]+):([a-z0-9]+?)(?:x(\d+))?$/.exec(part);
      if (!match || !OPERATIONS.includes(match[1] ?? '') || !KINDS.includes(match[2] ?? '')) {
        throw new ArmError(
          400,
          'InvalidEmulatorFault',
          `The '${FAULT_TAG}' tag rule '${part}' is invalid: expected <operation>:<fault>[x<count>] with operation one of ${OPERATIONS.join(', ')} and fault one of ${KINDS.join(', ')} (e.g. 'create:500x2').`,
          {},
          `tags.${FAULT_TAG}`,
        );
      }
      return {
        operation: match[1] as FaultOperation,
        kind: match[2] as FaultKind,
        times: match[3] ? Number(match[3]) : 1,
      };
    });
}

export interface FaultContext {
  subscriptionId: string;
  location: string;
  cpu: number;
  memoryInGB: number;
  write: boolean;
}

/** The error a real ARM / ACI front end answers for that kind of fault. */
export function faultError(kind: FaultKind, ctx: FaultContext): ArmError {
  switch (kind) {
    case '429':
      // ARM's subscription throttling wording; Retry-After kept short so tests stay fast.
      return new ArmError(
        429,
        'SubscriptionRequestsThrottled',
        `Number of '${ctx.write ? 'write' : 'read'}' requests for subscription '${ctx.subscriptionId}' actor 'emulator' exceeded. Please try again after '1' seconds after additional tasks are completed.`,
        { 'Retry-After': '1' },
      );
    case '500':
      return new ArmError(
        500,
        'InternalServerError',
        `Encountered internal server error. Diagnostic information: timestamp '${new Date().toISOString()}', subscription id '${ctx.subscriptionId}' (injected by the ACI emulator).`,
      );
    case '503':
      return new ArmError(
        503,
        'ServiceUnavailable',
        'The service is temporarily unavailable. Please try again later.',
        {
          'Retry-After': '1',
        },
      );
    case 'capacity':
      return capacityError(ctx);
    case 'quota':
      // ACI answers quota exhaustion with HTTP 400 (seen in the wild: "StatusCode=400 ... ContainerGroupQuotaReached").
      return new ArmError(
        400,
        'ContainerGroupQuotaReached',
        `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardCores' exceeded in region '${ctx.location}'. Limit: '${Math.ceil(ctx.cpu)}', Usage: '${Math.ceil(ctx.cpu)}' Requested: '${Math.ceil(ctx.cpu)}'.`,
      );
  }
}

/** ACI's answer (409 ServiceUnavailable, its current wording) when a region has no room for the requested size. */
export function capacityError(ctx: FaultContext): ArmError {
  return new ArmError(
    409,
    'ServiceUnavailable',
    `The requested resource is not available in the location '${ctx.location}' at this moment. Please retry with a different resource request or in another location. Resource requested: '${ctx.cpu}' CPU '${ctx.memoryInGB}' GB memory 'Linux' OS`,
  );
}

/** Counts fault hits per group and rule, so `x2` means exactly the first two calls fail. */
export class FaultInjector {
  private readonly hits = new Map<string, number>();

  /** Returns the error to answer for this call, if a rule still has hits left. */
  check(
    groupKey: string,
    tagValue: string | undefined,
    operation: FaultOperation,
    ctx: FaultContext,
  ): ArmError | undefined {
    if (!tagValue) return undefined;
    for (const [index, rule] of parseFaultTag(tagValue).entries()) {
      if (rule.operation !== operation) continue;
      const key = `${groupKey}|${index}|${tagValue}`;
      const used = this.hits.get(key) ?? 0;
      if (used < rule.times) {
        this.hits.set(key, used + 1);
        return faultError(rule.kind, ctx);
      }
    }
    return undefined;
  }

  /** A deleted group starts afresh if it is created again. */
  forget(groupKey: string): void {
    for (const key of this.hits.keys()) if (key.startsWith(`${groupKey}|`)) this.hits.delete(key);
  }
}
