import type { DurableClient } from 'durable-functions';
import {
  ADMISSION_COORDINATOR,
  ADMISSION_COORDINATOR_ID,
  grantEventName,
  ADMISSION_OP_EVENT,
  targetKey,
  type AdmissionOp,
  type CapacityReader,
  type CoordinatorStatus,
  type SlotGrant,
  type SlotLimits,
  type SlotRelease,
  type SlotRequest,
  type TargetRef,
  type TargetUsage,
  type WaitingCustomStatus,
  WAITING_FOR_CAPACITY,
} from './contracts';
import type { CoordinatorInput, CoordinatorOptions } from './coordinator';
import { isNotFound } from '../../shared/errors/isNotFound';
import { emptyAdmissionState } from './admissionState';

/** The part of the DurableClient admission needs (the real one in production and in the local engine). */
export type AdmissionClient = Pick<DurableClient, 'startNew' | 'raiseEvent' | 'getStatus'>;

export interface AdmissionActivityDeps {
  client: AdmissionClient;
  /** Configured limits for a target (DISPATCH_ADMISSION_* settings). */
  limitsFor(target: TargetRef): SlotLimits;
  /** Live quota usage (ACI Usage API); absent = settings only. */
  capacityReader?: CapacityReader;
  /** Used when the coordinator is (re)started. */
  coordinator?: Partial<CoordinatorOptions>;
  log?: (message: string) => void;
}

export interface RequestSlotInput {
  request: SlotRequest;
  /** The request's targets in the same order as `request.targets`. */
  targets: TargetRef[];
}

/** What the waiting orchestration shows: the coordinator's last figures for its primary target. */
export interface RequestSlotResult {
  waiting?: number;
  inUse?: number;
  limit?: number;
}

export interface ReconcileInput {
  holders: { id: string; ticket: number }[];
  targets: (TargetRef & { key: string })[];
}

export interface ReconcileResult {
  finished: string[];
  /** Holders whose instance still waits for the granted ticket (the grant got lost). */
  stillWaiting: string[];
  usage: Record<string, TargetUsage>;
}

export interface AdmissionActivities {
  request(input: RequestSlotInput): Promise<RequestSlotResult>;
  release(input: SlotRelease): Promise<void>;
  notify(input: SlotGrant[]): Promise<{ gone: string[] }>;
  reconcile(input: ReconcileInput): Promise<ReconcileResult>;
}

const FINISHED = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);
/** Parallel client calls per activity: enough for a burst of grants without flooding the host. */
const CLIENT_CALL_CONCURRENCY = 16;

/**
 * Activities are the only way an orchestration reaches another one here (durable-functions has no
 * orchestration-side raiseEvent), so each of them is a few DurableClient calls. All are idempotent.
 */
export function createAdmissionActivities(deps: AdmissionActivityDeps): AdmissionActivities {
  const log = deps.log ?? (() => undefined);
  const raise = (op: AdmissionOp): Promise<void> =>
    deps.client.raiseEvent(ADMISSION_COORDINATOR_ID, ADMISSION_OP_EVENT, op);

  return {
    async request(input) {
      const status = await readCoordinator(deps.client);
      if (!status || FINISHED.has(status.runtimeStatus)) {
        if (status) log(`admission coordinator was ${status.runtimeStatus}: starting it again`);
        const start: CoordinatorInput = {
          state: emptyAdmissionState(),
          execution: 1,
          ...(deps.coordinator ? { options: deps.coordinator } : {}),
        };
        try {
          await deps.client.startNew(ADMISSION_COORDINATOR, {
            instanceId: ADMISSION_COORDINATOR_ID,
            input: start,
          });
        } catch (err) {
          // Another request started it at the same moment; the event below reaches that one.
          log(`admission coordinator start: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const limits: Record<string, SlotLimits & TargetRef> = {};
      for (const target of input.targets) {
        limits[targetKey(target)] = {
          subscriptionId: target.subscriptionId,
          location: target.location,
          ...deps.limitsFor(target),
        };
      }
      await raise({ kind: 'request', request: input.request, limits });
      const figures = status?.customStatus?.targets.find((t) => t.target === input.request.targets[0]);
      return figures ? { waiting: figures.waiting, inUse: figures.inUse, limit: figures.limit } : {};
    },

    async release(input) {
      try {
        await raise({ kind: 'release', release: input });
      } catch (err) {
        // No coordinator: nothing is held. Anything else is retried by the orchestration.
        if (!isNotFound(err)) throw err;
      }
    },

    async notify(grants) {
      const gone: string[] = [];
      await forEachLimited(grants, async (grant) => {
        try {
          await deps.client.raiseEvent(grant.id, grantEventName(grant.ticket), grant);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          gone.push(grant.id);
        }
      });
      if (gone.length > 0) log(`admission: ${gone.length} granted instance(s) no longer exist`);
      return { gone };
    },

    async reconcile(input) {
      const finished: string[] = [];
      const stillWaiting: string[] = [];
      await forEachLimited(input.holders, async ({ id, ticket }) => {
        try {
          const status = await deps.client.getStatus(id);
          if (FINISHED.has(status.runtimeStatus)) finished.push(id);
          else if (isWaitingFor(status.customStatus, ticket)) stillWaiting.push(id);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          finished.push(id);
        }
      });
      const usage: Record<string, TargetUsage> = {};
      if (deps.capacityReader) {
        for (const target of input.targets) {
          try {
            const read = await deps.capacityReader.readUsage(target);
            if (read) usage[target.key] = read;
          } catch (err) {
            // The settings still bound admission; a usage read is an extra guard, not a prerequisite.
            log(
              `admission: usage of ${target.key} unreadable: ${err instanceof Error ? err.message : String(err)}`,
            );
          }
        }
      }
      if (finished.length > 0) log(`admission: ${finished.length} slot(s) of finished instances reclaimed`);
      return { finished, stillWaiting, usage };
    },
  };
}

async function readCoordinator(
  client: AdmissionClient,
): Promise<{ runtimeStatus: string; customStatus?: CoordinatorStatus } | undefined> {
  try {
    const status = await client.getStatus(ADMISSION_COORDINATOR_ID);
    return {
      runtimeStatus: String(status.runtimeStatus),
      ...(status.customStatus ? { customStatus: status.customStatus as CoordinatorStatus } : {}),
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function isWaitingFor(customStatus: unknown, ticket: number): boolean {
  const status = customStatus as Partial<WaitingCustomStatus> | null | undefined;
  return status?.phase === WAITING_FOR_CAPACITY && status.admission?.ticket === ticket;
}

async function forEachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CLIENT_CALL_CONCURRENCY, items.length) }, worker));
}
