import { resolveRoutes, type ResolvedRoute } from '../shared/routes/resolvedRoute';
import { routeSchema } from '../shared/routes/routeSchema';
import { runBurstOnEngine } from './admissionEngine';
import { simulateBurst, type BurstResult } from './admissionSim';
import { fmt, markdownTable, metMark } from './markdownTable';

/*
 * Section 4 of `npm run bench`: a burst of 10-minute jobs into a quota of 100 container groups, today's
 * behaviour (capacity errors consume attempts) against admission, side by side.
 */

export const ADMISSION_TARGETS = {
  deadLettered: 0,
  utilisation: 0.9,
  makespanVsIdeal: 1.15,
  rejectedShare: 0.01,
};

export interface AdmissionBenchOptions {
  events?: number;
  quota?: number;
  /** The engine runs: same ratio of events to quota, smaller (default 300 events, quota 3). */
  engineEvents?: number;
  engineQuota?: number;
  jobMs?: number;
  log?: (line: string) => void;
}

export interface AdmissionBenchResult {
  runs: { label: string; result: BurstResult }[];
  jobMs: number;
  capacityWait: string;
}

/**
 * The bench route: default policy except capacityWait, which must outlast the backlog (10,000 x 10 min / 100 is
 * about 17 h; the default PT6H would dead-letter the tail of the burst CapacityExhausted, by design).
 */
export function burstRoute(capacityWait = 'P1D'): ResolvedRoute {
  const [route] = resolveRoutes(
    [
      routeSchema.parse({
        name: 'burst',
        match: { type: 'bench.burst' },
        job: { image: 'bench/job:1', cpu: 1 },
        target: {
          subscriptionId: '00000000-0000-0000-0000-000000000000',
          resourceGroup: 'bench',
          location: 'westeurope',
        },
        policy: { capacityWait, timeout: 'PT1H' },
      }),
    ],
    {},
  );
  if (!route) throw new Error('bench route did not resolve');
  return route;
}

export async function measureAdmission(options: AdmissionBenchOptions = {}): Promise<AdmissionBenchResult> {
  const log = options.log ?? (() => undefined);
  const events = options.events ?? 10_000;
  const quota = options.quota ?? 100;
  const jobMs = options.jobMs ?? 10 * 60_000;
  const route = burstRoute();
  const sim = { events, jobMs, quota, route, createsPer5Min: 1_000_000, createsPerHour: 1_000_000 };
  const runs: AdmissionBenchResult['runs'] = [];
  log(`admission: simulation, ${events} events, quota ${quota}, today ...`);
  runs.push({
    label: `today, simulated (${fmt(events)} events, quota ${quota})`,
    result: simulateBurst('today', sim),
  });
  log('admission: simulation, admission ...');
  runs.push({
    label: `admission, simulated (${fmt(events)}, ${quota})`,
    result: simulateBurst('admission', sim),
  });
  log("admission: simulation, admission with ACI's default create rate ...");
  runs.push({
    label: `admission, simulated, creates 100/5 min & 300/h (${fmt(events)}, ${quota})`,
    result: simulateBurst('admission', { ...sim, createsPer5Min: 100, createsPerHour: 300 }),
  });
  const engine = {
    events: options.engineEvents ?? 300,
    quota: options.engineQuota ?? 3,
    jobMs,
    route,
    pollsPerExecution: 10,
  };
  for (const mode of ['today', 'admission'] as const) {
    log(`admission: local Durable engine, ${engine.events} events, quota ${engine.quota}, ${mode} ...`);
    runs.push({
      label: `${mode}, Durable engine (${fmt(engine.events)}, ${engine.quota})`,
      result: await runBurstOnEngine(mode, engine),
    });
  }
  return { runs, jobMs, capacityWait: 'P1D' };
}

export function renderAdmissionSection(r: AdmissionBenchResult): string {
  const parts = ['## 4. A burst against the ACI quota: today vs capacity admission'];
  parts.push(
    [
      `Every event of a burst arrives at once; each job runs ${r.jobMs / 60_000} minutes (detected by the route's default`,
      'polling, so a group lives until the first poll after it ends). The simulated ARM refuses a create past the',
      'container-group quota with `ContainerGroupQuotaReached`. **today**: capacity errors settle the attempt as',
      '`create-failed`, which is requeued with backoff and dead-lettered after `maxAttempts` (3). **admission**: a job',
      'waits for a slot (FIFO), a refused create gives the slot back without using an attempt; the route sets',
      `\`capacityWait: ${r.capacityWait}\` to outlast the backlog. The simulated rows run the product's own rules`,
      '(poll schedule, backoff, settlement decision, slot accounting) as a discrete-event simulation at full scale; the',
      "engine rows run the orchestrations through durable-functions' replay code at the same events-to-quota ratio",
      '(the real dispatchJob orchestration with admission off and on, and the real coordinator). Create-rate quotas are raised',
      "in all rows but one, which keeps ACI's defaults (100 per 5 min, 300 per hour) to show pacing.",
    ].join('\n'),
  );
  parts.push(
    markdownTable(
      [
        'run',
        'dead-lettered',
        'makespan / ideal',
        'utilisation',
        'creates',
        'rejected',
        'peak groups',
        'episodes / job',
        'wall s',
      ],
      r.runs.map(({ label, result: x }) => [
        label,
        fmt(x.deadLettered),
        x.succeeded > 0 ? `${fmt(x.makespanMs / x.idealMs, 3)}x` : '—',
        `${fmt(x.utilisation * 100, 1)} %`,
        fmt(x.creates),
        `${fmt(x.rejected)} (${fmt(x.creates > 0 ? (100 * x.rejected) / x.creates : 0, 1)} %)`,
        fmt(x.peakGroups),
        x.episodesPerJob === undefined
          ? '—'
          : x.coordinatorEpisodes
            ? `${fmt(x.episodesPerJob, 1)} (coordinator ${fmt(x.coordinatorEpisodes / x.events, 1)})`
            : fmt(x.episodesPerJob, 1),
        fmt(x.wallMs / 1000, 1),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  const checked = r.runs.filter(
    (run, i) => i === 1 || (run.result.mode === 'admission' && run.result.scale === 'engine'),
  );
  if (checked.length > 0) {
    const rows = checked.flatMap(
      ({ label, result: x }) =>
        [
          [
            label,
            'dead-lettered',
            `${ADMISSION_TARGETS.deadLettered}`,
            fmt(x.deadLettered),
            x.deadLettered <= ADMISSION_TARGETS.deadLettered,
          ],
          [
            label,
            'utilisation',
            `>= ${ADMISSION_TARGETS.utilisation * 100} %`,
            `${fmt(x.utilisation * 100, 1)} %`,
            x.utilisation >= ADMISSION_TARGETS.utilisation,
          ],
          [
            label,
            'makespan',
            `<= ${ADMISSION_TARGETS.makespanVsIdeal} x ideal`,
            `${fmt(x.makespanMs / x.idealMs, 3)}x`,
            x.makespanMs <= ADMISSION_TARGETS.makespanVsIdeal * x.idealMs,
          ],
          [
            label,
            'rejected creates',
            `<= ${ADMISSION_TARGETS.rejectedShare * 100} %`,
            `${fmt((100 * x.rejected) / Math.max(1, x.creates), 2)} %`,
            x.rejected <= ADMISSION_TARGETS.rejectedShare * x.creates,
          ],
        ] as const,
    );
    parts.push('Targets:');
    parts.push(
      markdownTable(
        ['run', 'target', 'wanted', 'measured', ''],
        rows.map(([run, a, b, c, met]) => [run, a, b, c, metMark(met)]),
      ),
    );
  }
  return parts.join('\n\n');
}
