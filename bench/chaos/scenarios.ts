import type { ServiceBusMessage } from '@azure/service-bus';
import { ChaosRun, chaosEvent, eventKey, loadQuota, type ScenarioResult } from './chaosRun';
import { maxAttempts, otherRoute } from './chaosRoutes';
import { forgedReason, fuzzCorpus, twinBody, type FuzzCase } from './fuzzCorpus';

/** How big each scenario is: `npm run chaos` runs the full sizes, `npm test` the short ones. */
export interface ScenarioSizes {
  crash: number;
  faults: number;
  restarts: number;
  duplicates: number;
  fuzz: number;
}

export const fullSizes: ScenarioSizes = {
  crash: 500,
  faults: 400,
  restarts: 200,
  duplicates: 200,
  fuzz: 10_000,
};
export const shortSizes: ScenarioSizes = { crash: 18, faults: 24, restarts: 10, duplicates: 8, fuzz: 200 };

export interface ScenarioContext {
  repoRoot: string;
  log: (line: string) => void;
  keep?: boolean;
  /** Seed of the fault sequence and the fuzz corpus. */
  seed: number;
  /** See ChaosRunOptions.stallMs. */
  stallMs?: number;
}

const contentType = 'application/cloudevents+json';

/** A scenario's stack under load quotas (plus its own `dispatcher dev` flags), with the context's options. */
function startRun(ctx: ScenarioContext, scenario: string, moreArgs: string[] = []): Promise<ChaosRun> {
  return ChaosRun.start({
    repoRoot: ctx.repoRoot,
    scenario,
    extraArgs: [...loadQuota, ...moreArgs],
    log: ctx.log,
    ...(ctx.keep ? { keep: true } : {}),
    ...(ctx.stallMs !== undefined ? { stallMs: ctx.stallMs } : {}),
  });
}
/** Every tenth event fails its first attempt, so requeues happen under every kind of chaos. */
const failsFirst = (i: number): boolean => i % 10 === 9;

function events(
  prefix: string,
  source: string,
  count: number,
): Array<{ id: string; message: ServiceBusMessage }> {
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}-${i}`;
    return {
      id,
      message: {
        body: Buffer.from(chaosEvent(id, source, failsFirst(i) ? { failFirst: true } : { n: i })),
        contentType,
        messageId: id,
      },
    };
  });
}

/** Sends a batch and expects the events the broker took; returns the ones it did not take. */
async function sendExpected(
  run: ChaosRun,
  source: string,
  batch: Array<{ id: string; message: ServiceBusMessage }>,
): Promise<Array<{ id: string; message: ServiceBusMessage }>> {
  const accepted = await run.send(batch.map((e) => e.message)).catch(() => batch.map(() => false));
  batch.forEach((e, i) => {
    if (accepted[i]) run.expect(source, e.id);
  });
  return batch.filter((_, i) => !accepted[i]);
}

/** Settle timeout: generous for the work, bounded so a broken stack ends the scenario instead of hanging it. */
const settleMs = (events: number): number => 60_000 + events * 400;

/**
 * kill -9 of the whole stack twice while events are in flight, restarting on the same --state each time. Events
 * are sent at a steady pace (paused while the stack is down), so every kill finds jobs being created, watched
 * and requeued.
 */
export async function crashScenario(ctx: ScenarioContext, count: number): Promise<ScenarioResult> {
  const source = 'urn:chaos:crash';
  const run = await startRun(ctx, 'crash');
  const all = events(`crash-${Date.now()}`, source, count);
  const perTick = Math.max(2, Math.ceil(count / 50));
  let down: Promise<void> | undefined;
  const sending = (async () => {
    for (let i = 0; i < all.length; i += perTick) {
      // A send that races a kill fails: it is sent again once the stack is back (the same MessageId, so a copy
      // the broker did take before the kill is dropped by its duplicate detection).
      let left = all.slice(i, i + perTick);
      for (let tries = 0; left.length > 0 && tries < 5; tries++) {
        while (down) await down;
        left = await sendExpected(run, source, left);
        if (left.length > 0) await new Promise((r) => setTimeout(r, 1000));
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  for (const share of [1 / 3, 2 / 3]) {
    await waitFor(
      () => run.expected.size - run.unsettled().length >= Math.floor(count * share),
      settleMs(count),
    );
    ctx.log(
      `crash: kill -9 of the stack (${run.expected.size - run.unsettled().length}/${run.expected.size} settled)`,
    );
    down = run.crashAndRestart();
    await down;
    down = undefined;
  }
  await sending;
  await run.waitForSettled(settleMs(count));
  return run.finish();
}

/** 30 % transient ARM faults on create and get (10 % on delete), lost responses included. */
export async function faultsScenario(ctx: ScenarioContext, count: number): Promise<ScenarioResult> {
  const source = 'urn:chaos:faults';
  const faults = `create=0.3,get=0.3,delete=0.1,kinds=429|500|503|reset|lost-response,seed=${ctx.seed}`;
  const run = await startRun(ctx, 'faults', ['--aci-faults', faults]);
  const all = events(`faults-${Date.now()}`, source, count);
  for (let i = 0; i < all.length; i += 25) {
    await sendExpected(run, source, all.slice(i, i + 25));
    await new Promise((r) => setTimeout(r, 500));
  }
  // Under these faults one event's own retries (create backoff 5-40 s or ARM's Retry-After, a last status read
  // retried for ~35 s, delete retries) can leave it quiet for over a minute on a loaded machine: the short stall
  // window counted such an event as lost. A stuck one is still reported, two quiet minutes later.
  await run.waitForSettled(settleMs(count) + FAULTS_QUIET_MS, FAULTS_QUIET_MS);
  return run.finish();
}

const FAULTS_QUIET_MS = 120_000;

/** SIGKILL of the ACI emulator child alone, later of the Service Bus emulator child alone, mid-run. */
export async function restartsScenario(ctx: ScenarioContext, count: number): Promise<ScenarioResult> {
  const source = 'urn:chaos:restarts';
  const run = await startRun(ctx, 'restarts');
  const all = events(`restarts-${Date.now()}`, source, count);
  const half = Math.ceil(count / 2);
  for (const [part, kind] of [
    [0, 'aci'],
    [1, 'servicebus'],
  ] as const) {
    await sendExpected(run, source, all.slice(part * half, (part + 1) * half));
    await waitFor(
      () => run.expected.size - run.unsettled().length >= Math.floor(run.expected.size / 3),
      60_000,
    );
    const pid = run.stack.killEmulator(kind);
    ctx.log(`restarts: SIGKILL of the ${kind} emulator (pid ${pid})`);
    if (!(await run.stack.waitForEmulatorRestart(kind, pid, 30_000)))
      run.findings.push(
        `dispatcher dev did not restart the ${kind} emulator within 30 s (it kept running without it)`,
      );
  }
  // Messages the trigger held when the Service Bus emulator died come back when their lock expires (the
  // queue's LockDuration, PT1M): waiting less would count them as lost.
  await run.waitForSettled(settleMs(count), 75_000);
  return run.finish();
}

/** The same message delivered twice, and the same event id from two sources. */
export async function duplicatesScenario(ctx: ScenarioContext, count: number): Promise<ScenarioResult> {
  const run = await startRun(ctx, 'duplicates');
  const stamp = Date.now();
  const twice = events(`dup-${stamp}`, 'urn:chaos:dup', count);
  for (const e of twice) run.expect('urn:chaos:dup', e.id);
  // A second copy under another MessageId gets past the broker's duplicate detection: the dispatcher must see it.
  await run.send(twice.flatMap((e) => [e.message, { ...e.message, messageId: `${e.id}:again` }]));
  const pairs = Math.max(1, Math.floor(count / 2));
  const sameId: ServiceBusMessage[] = [];
  for (let i = 0; i < pairs; i++) {
    const id = `same-${stamp}-${i}`;
    for (const source of ['urn:chaos:left', 'urn:chaos:right']) {
      run.expect(source, id);
      sameId.push({
        body: Buffer.from(chaosEvent(id, source, { n: i })),
        contentType,
        messageId: `${source}:${id}`,
      });
    }
  }
  await run.send(sameId);
  await run.waitForSettled(settleMs(count * 2));
  return run.finish();
}

/** At least 10,000 malformed and hostile messages (fuzzCorpus), with per-class checks. */
export async function fuzzScenario(ctx: ScenarioContext, count: number): Promise<ScenarioResult> {
  const run = await startRun(ctx, 'fuzz');
  const prefix = `fz${Date.now()}`;
  const corpus = fuzzCorpus(count, ctx.seed, prefix);
  const sentCases: FuzzCase[] = [];
  for (let i = 0; i < corpus.length; i += 500) {
    const slice = corpus.slice(i, i + 500);
    const accepted = await run.send(slice.map((c) => c.message));
    slice.forEach((c, j) => {
      if (!accepted[j]) return;
      sentCases.push(c);
      if (c.runs) run.expect(c.runs.source, c.runs.id);
    });
    ctx.log(`fuzz: sent ${Math.min(i + 500, corpus.length)}/${corpus.length}`);
  }
  const rejects = sentCases.filter((c) => !c.runs).length;
  await run.waitForSettled(settleMs(run.expected.size));
  // Poison copies reach the DLQ after their last delivery: wait until the dispatch queue is empty and the
  // dead-letter count stops growing (or every rejected message is there).
  let last = -1;
  const until = Date.now() + 900_000;
  while (Date.now() < until) {
    const now = run.observer.deadLetters.size;
    const empty = await run.dispatchQueueEmpty();
    if (empty && (now >= rejects || now === last)) break;
    last = now;
    await new Promise((r) => setTimeout(r, 10_000));
  }
  return run.finish((runs) => {
    const findings: string[] = [];
    const kindOfHint = new Map(
      sentCases.filter((c) => !c.runs && c.idHint).map((c) => [c.idHint ?? '', c.kind]),
    );
    const forgedRoute = runs.runs.filter((r) => r.route === otherRoute);
    if (forgedRoute.length > 0)
      findings.push(`forged dispatch-route obeyed: ${forgedRoute.length} runs of ${otherRoute}`);
    const overAttempts = runs.runs.filter((r) => (r.attempt ?? 0) > maxAttempts);
    if (overAttempts.length > 0)
      findings.push(
        `forged dispatch-attempt obeyed: ${overAttempts.length} runs with attempt > ${maxAttempts} (e.g. ${overAttempts[0]?.group})`,
      );
    const forgedDead = [...run.observer.deadLetters.values()].filter((d) => d.reason === forgedReason);
    if (forgedDead.length > 0)
      findings.push(
        `forged dead-letter reason obeyed: ${forgedDead.length} valid events dead-lettered as ${forgedReason}`,
      );
    const ranHostile = new Map<string, number>();
    const ranIds = new Set<string>();
    for (const r of runs.runs) {
      const kind = r.eventId !== undefined ? kindOfHint.get(r.eventId) : undefined;
      if (kind && r.eventId !== undefined && !ranIds.has(r.eventId)) {
        ranIds.add(r.eventId);
        ranHostile.set(kind, (ranHostile.get(kind) ?? 0) + 1);
      }
    }
    for (const [kind, n] of ranHostile)
      findings.push(`a message that must be rejected ran a job: ${kind} (${n})`);
    // Those that ran are reported above; every other message that must be rejected must be in the DLQ, found
    // by the tag it carries whatever its body became.
    const deadTags = new Set<string>();
    for (const d of run.observer.deadLetters.values()) if (d.caseTag !== undefined) deadTags.add(d.caseTag);
    const missing = new Map<string, string[]>();
    let mustReject = 0;
    for (const c of sentCases) {
      if (c.runs || (c.idHint !== undefined && ranIds.has(c.idHint))) continue;
      mustReject++;
      if (!deadTags.has(c.tag)) missing.set(c.kind, [...(missing.get(c.kind) ?? []), c.tag]);
    }
    const missingCount = [...missing.values()].reduce((n, tags) => n + tags.length, 0);
    if (missingCount > 0)
      findings.push(
        `${missingCount} of ${mustReject} rejected messages (that ran no job) never reached the dead-letter queue`,
      );
    for (const [kind, tags] of missing)
      findings.push(
        `not in the dead-letter queue (${kind}): ${tags.length} (e.g. ${tags.slice(0, 3).join(', ')})`,
      );
    // A job for an event no valid case carries and no rejected case was built around: a mutation that changed the
    // id and still ran.
    const expectedIds = new Set(sentCases.flatMap((c) => (c.runs ? [c.runs.id] : [])));
    const strays = new Set(
      runs.runs
        .map((r) => r.eventId)
        .filter((id): id is string => id !== undefined && !expectedIds.has(id) && !ranIds.has(id)),
    );
    if (strays.size > 0)
      findings.push(
        `jobs ran for ${strays.size} event ids no valid message carries (e.g. ${[...strays].slice(0, 3).join(', ')})`,
      );
    const twinsSent = sentCases.filter((c) => c.kind.includes('MessageId (equal bodies)')).length;
    const twinsDead = [...run.observer.deadLetters.values()].filter(
      (d) => d.body.toString('utf8') === twinBody,
    ).length;
    if (twinsDead !== twinsSent)
      findings.push(
        `distinct poison messages with equal bodies and numeric or binary MessageIds: ${twinsSent} sent, ${twinsDead} dead-lettered`,
      );
    const bulky = [...run.observer.deadLetters.values()].filter((d) => d.propertyChars > 32_768);
    if (bulky.length > 0)
      findings.push(
        `${bulky.length} dead-letter copies carry over 32 KB of sender properties (Service Bus caps headers at 64 KB)`,
      );
    const lostByKind = new Map<string, number>();
    const unsettled = new Set(run.unsettled(runs));
    for (const c of sentCases)
      if (c.runs && unsettled.has(eventKey(c.runs.source, c.runs.id)))
        lostByKind.set(c.kind, (lostByKind.get(c.kind) ?? 0) + 1);
    for (const [kind, n] of lostByKind) findings.push(`lost (${kind}): ${n}`);
    return findings;
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number, everyMs = 500): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition() && Date.now() < until) await new Promise((r) => setTimeout(r, everyMs));
}

export const scenarios = {
  crash: crashScenario,
  faults: faultsScenario,
  restarts: restartsScenario,
  duplicates: duplicatesScenario,
  fuzz: fuzzScenario,
} as const;
export type ScenarioName = keyof typeof scenarios;
