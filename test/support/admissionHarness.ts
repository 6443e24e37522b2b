import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient, OrchestrationContext, Task } from 'durable-functions';
import { VirtualClock } from '../../devhost/durable/clock';
import { createInvocationContextWithDurableClient } from '../../devhost/durable/createInvocationContextWithDurableClient';
import { DurableEngine } from '../../devhost/durable/durableEngine';
import { createRegistry, installRegistrationCapture } from '../../devhost/registrations/captureRegistrations';
import { acquireSlot, releaseSlot } from '../../orchestrations/admission/acquireSlot';
import { createAdmissionActivities } from '../../orchestrations/admission/activities';
import {
  ADMISSION_COORDINATOR_ID,
  type CapacityReader,
  type CoordinatorStatus,
  type SlotLimits,
  type TargetRef,
  WAITING_FOR_CAPACITY,
} from '../../orchestrations/admission/contracts';
import { registerAdmission } from '../../orchestrations/admission/registration';

export const SLOT_USER = 'slotUser';
export const SUB = '00000000-0000-0000-0000-000000000000';
export const WEST: TargetRef = { subscriptionId: SUB, location: 'westeurope' };
export const NORTH: TargetRef = { subscriptionId: SUB, location: 'northeurope' };

/** A stand-in for a dispatch orchestration: waits for a slot, "runs" for jobMs, gives the slot back. */
export interface SlotUserInput {
  route?: string;
  targets?: TargetRef[];
  cores?: number;
  priority?: number;
  concurrency?: number;
  capacityWaitMs?: number;
  jobMs: number;
  /** Simulates a lost release: finish without giving the slot back. */
  skipRelease?: boolean;
}

export interface SlotUserOutput {
  ok: boolean;
  grantedAt?: number;
  releasedAt?: number;
  targetIndex?: number;
  waitedMs?: number;
}

function* slotUser(context: OrchestrationContext): Generator<Task, SlotUserOutput, unknown> {
  const input = context.df.getInput<SlotUserInput>();
  const now = (): number => context.df.currentUtcDateTime.getTime();
  const result = yield* acquireSlot(
    context,
    {
      route: input.route ?? 'r',
      targets: input.targets ?? [WEST],
      cores: input.cores ?? 1,
      priority: input.priority ?? 0,
      ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
      arrivedAt: now(),
      capacityWaitMs: input.capacityWaitMs ?? 6 * 3_600_000,
      ticket: 1,
    },
    (info) => context.df.setCustomStatus({ phase: WAITING_FOR_CAPACITY, admission: info }),
  );
  if (!result.ok) return { ok: false, waitedMs: result.waitedMs };
  const grantedAt = now();
  context.df.setCustomStatus('holding');
  yield context.df.createTimer(new Date(now() + input.jobMs));
  const releasedAt = now();
  context.df.setCustomStatus('released');
  if (!input.skipRelease) yield* releaseSlot(context, { id: context.df.instanceId, ticket: 1 });
  return { ok: true, grantedAt, releasedAt, targetIndex: result.grant.targetIndex };
}

export interface AdmissionHarness {
  engine: DurableEngine;
  clock: VirtualClock;
  client: DurableClient;
  close(): Promise<void>;
  /** Advances the virtual clock in steps until every given instance has finished. */
  runUntilDone(ids: string[], stepMs?: number, maxMs?: number): Promise<Map<string, SlotUserOutput>>;
  coordinator(): CoordinatorStatus | undefined;
  /** Slot users between their grant and their release (what ARM would count as our groups). */
  holding(): number;
}

export async function startAdmissionHarness(options: {
  limits: SlotLimits;
  capacityReader?: CapacityReader;
  reconcileIntervalMs?: number;
  /** Grants to these instances are dropped once (a lost event). */
  loseFirstGrantOf?: string[];
  stateDir?: string;
  clock?: VirtualClock;
}): Promise<AdmissionHarness> {
  const clock = options.clock ?? new VirtualClock();
  const registry = createRegistry();
  const uninstall = installRegistrationCapture(registry);
  try {
    const toLose = new Set(options.loseFirstGrantOf ?? []);
    registerAdmission((context: InvocationContext) => {
      const activities = createAdmissionActivities({
        client: df.getClient(context),
        limitsFor: () => options.limits,
        ...(options.capacityReader ? { capacityReader: options.capacityReader } : {}),
        coordinator: { reconcileIntervalMs: options.reconcileIntervalMs ?? 5 * 60_000, opsPerExecution: 20 },
      });
      return {
        ...activities,
        notify: (grants) => {
          const lost = grants.filter((g) => toLose.delete(g.id));
          return activities.notify(grants.filter((g) => !lost.includes(g)));
        },
      };
    });
    df.app.orchestration(SLOT_USER, slotUser);
  } finally {
    uninstall();
  }
  const engine = new DurableEngine({
    clock,
    taskHubName: 'admissiontest',
    ...(options.stateDir ? { stateDir: options.stateDir, fsync: false } : {}),
  });
  engine.registerFromRegistry(registry);
  await engine.start();
  const client = df.getClient(createInvocationContextWithDurableClient(engine));
  return {
    engine,
    clock,
    client,
    close: () => engine.stop(),
    holding: () =>
      engine.listInstances({ runtimeStatus: ['Running'] }).filter((i) => i.customStatus === 'holding').length,
    coordinator: () =>
      engine.getStatus(ADMISSION_COORDINATOR_ID)?.customStatus as CoordinatorStatus | undefined,
    async runUntilDone(ids, stepMs = 1_000, maxMs = 48 * 3_600_000) {
      const until = clock.now() + maxMs;
      const done = (): boolean =>
        ids.every((id) =>
          ['Completed', 'Failed', 'Terminated'].includes(engine.getStatus(id)?.runtimeStatus ?? ''),
        );
      while (!done()) {
        if (clock.now() >= until) throw new Error(`instances not done after ${maxMs} ms of virtual time`);
        await clock.advance(stepMs);
      }
      const out = new Map<string, SlotUserOutput>();
      for (const id of ids) {
        const status = engine.getStatus(id)!;
        if (status.runtimeStatus !== 'Completed')
          throw new Error(`${id} ${status.runtimeStatus}: ${JSON.stringify(status.output)}`);
        out.set(id, status.output as SlotUserOutput);
      }
      return out;
    },
  };
}

/** Most slots held at once, from grant/release times (a release at t frees before a grant at t). */
export function peakConcurrency(
  outputs: Iterable<SlotUserOutput>,
  weight: (o: SlotUserOutput) => number = () => 1,
) {
  const points: [number, number][] = [];
  for (const o of outputs) {
    if (!o.ok || o.grantedAt === undefined || o.releasedAt === undefined) continue;
    points.push([o.grantedAt, weight(o)], [o.releasedAt, -weight(o)]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of points) {
    current += delta;
    peak = Math.max(peak, current);
  }
  return peak;
}
