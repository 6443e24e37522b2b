import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusMessage } from '@azure/service-bus';
import Long from 'long';
import { killPersistedContainers } from '../../devhost/aci/startAciEmulator';
import { freePort } from '../../devhost/dev/freePort';
import { containerGroupNameFor } from '../../shared/naming/containerGroupName';
import { ChaosObserver, dispatcherReasons, type Settlement } from './chaosObserver';
import { readRuns, recordRoute, recordType, writeChaosRoutes, type RunsSummary } from './chaosRoutes';
import { ChaosStack, waitUntil } from './chaosStack';
import { listContainerGroups } from './leakedGroups';

/** What one scenario measured: a row of the chaos table. */
export interface ScenarioResult {
  scenario: string;
  /** Messages sent to the dispatch queue (valid events, duplicates and hostile messages). */
  sent: number;
  /** Messages the SDK or the broker refused (never reached the dispatcher; not in `sent`). */
  refused: number;
  /** Distinct valid (source, id) events among them: each must end Succeeded or dead-lettered. */
  validEvents: number;
  succeeded: number;
  requeued: number;
  deadLettered: Record<string, number>;
  lost: number;
  /** Job runs beyond one per attempt: runs of a container group (one per event, route, attempt) after its first. */
  extraRuns: number;
  /**
   * Jobs that ran although the dispatcher settled their attempt without an exit code (create-failed after a lost
   * response, a timeout that never saw the job end): the next attempt runs the job again.
   */
  unseenRuns: number;
  /** Undefined when ARM could not be listed at the end (the ACI emulator was gone). */
  leakedGroups?: number;
  crashes: number;
  /** Dead letters whose reason is not one the dispatcher writes. */
  deadLettersWithoutDispatcherReason: number;
  /** Scenario-specific violations beyond the counted targets, each naming the case. */
  findings: string[];
  /** Which events were lost, which groups ran twice or leaked, what crashed (examples of the counts). */
  details: string[];
  seconds: number;
}

export interface ChaosRunOptions {
  repoRoot: string;
  scenario: string;
  /** More `dispatcher dev` flags. */
  extraArgs?: string[];
  log?: (line: string) => void;
  /** Keep the work dir (state, runs file, stack log) for a post-mortem. */
  keep?: boolean;
  /** How long without any event settling counts as stuck; default 45 s. */
  stallMs?: number;
}

/** The quota flags the load scenarios need: ACI's default create-rate quota would throttle them. */
export const loadQuota = [
  '--aci-quota',
  'createsPer5Min=100000,createsPerHour=100000,containerGroups=1000,cores=1000',
];

export const eventKey = (source: string, id: string): string => `${source} ${id}`;

/** A valid chaos event, as the JSON body text. */
export function chaosEvent(id: string, source: string, data: Record<string, unknown> = {}): string {
  return JSON.stringify({ specversion: '1.0', id, source, type: recordType, data });
}

/**
 * One scenario's world: a work dir (state, routes, runs file, stack log), the stack, the observer, and the
 * accounting that turns what was sent and what came out into a {@link ScenarioResult}.
 */
export class ChaosRun {
  readonly workDir: string;
  readonly runsFile: string;
  readonly stack: ChaosStack;
  readonly observer = new ChaosObserver();
  /** Valid events expected to settle: key -> [source, id]. */
  readonly expected = new Map<string, [string, string]>();
  readonly findings: string[] = [];
  sent = 0;
  /** Why the broker or the SDK refused messages (never sent, so not counted). */
  readonly refused: string[] = [];
  private client: ServiceBusClient | undefined;
  private readonly started = Date.now();
  readonly log: (line: string) => void;
  private readonly stallMs: number;

  private constructor(
    private readonly options: ChaosRunOptions,
    aciPort: number,
  ) {
    this.log = options.log ?? (() => undefined);
    this.stallMs = options.stallMs ?? 45_000;
    this.workDir = mkdtempSync(join(tmpdir(), `dispatcher-chaos-${options.scenario}-`));
    this.runsFile = join(this.workDir, 'runs.log');
    const routesFile = join(this.workDir, 'routes.json');
    writeChaosRoutes(routesFile, this.runsFile);
    mkdirSync(join(this.workDir, 'state'));
    this.stack = new ChaosStack({
      repoRoot: options.repoRoot,
      stateDir: join(this.workDir, 'state'),
      routesFile,
      aciPort,
      extraArgs: options.extraArgs ?? [],
      logFile: join(this.workDir, 'stack.log'),
    });
  }

  static async start(options: ChaosRunOptions): Promise<ChaosRun> {
    // The ACI port is chosen up front (it stays the same across the scenario's restarts); if another process
    // took it in the meantime, the first start fails saying so, and a fresh work dir and port are tried.
    for (let tryNo = 1; ; tryNo++) {
      const run = new ChaosRun(options, await freePort());
      try {
        await run.startStack();
        return run;
      } catch (err) {
        const taken = readFileSync(join(run.workDir, 'stack.log'), 'utf8').includes('is already in use');
        if (!taken || tryNo >= 3) throw err;
        run.log(`${options.scenario}: a port was taken before the stack bound it; trying other ports`);
        rmSync(run.workDir, { recursive: true, force: true });
      }
    }
  }

  async startStack(): Promise<void> {
    await this.stack.start();
    await this.observer.connect(this.stack.connectionString);
    await this.client?.close().catch(() => undefined);
    this.client = new ServiceBusClient(this.stack.connectionString);
  }

  /** kill -9 of the stack's process group, then a start on the same state. */
  async crashAndRestart(): Promise<void> {
    await this.observer.disconnect();
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
    await this.stack.kill9();
    await this.startStack();
  }

  /**
   * Sends messages in batches, in order; returns which ones the broker took. A message the SDK cannot encode
   * or the broker refuses (over its size limit) is counted in `refused`, not in `sent`: it never reached the
   * dispatcher.
   */
  async send(messages: ServiceBusMessage[]): Promise<boolean[]> {
    if (!this.client) throw new Error('ChaosRun.send: the stack is not running');
    const sender = this.client.createSender('dispatch');
    const accepted: boolean[] = [];
    try {
      for (let i = 0; i < messages.length; i += 50) {
        const batch = messages.slice(i, i + 50);
        try {
          await sender.sendMessages(batch);
          accepted.push(...batch.map(() => true));
          this.sent += batch.length;
        } catch {
          // One unencodable or oversized message fails its batch: send them one by one to count each.
          for (const m of batch) {
            try {
              await sender.sendMessages(m);
              accepted.push(true);
              this.sent++;
            } catch (err) {
              accepted.push(false);
              this.refused.push(err instanceof Error ? err.message.slice(0, 160) : String(err));
            }
          }
        }
      }
    } finally {
      await sender.close();
    }
    return accepted;
  }

  /** Whether the dispatch queue holds no message (active or scheduled): nothing more can settle. */
  async dispatchQueueEmpty(): Promise<boolean> {
    if (!this.client) return true;
    const receiver = this.client.createReceiver('dispatch');
    try {
      return (await receiver.peekMessages(1, { fromSequenceNumber: Long.fromNumber(0) })).length === 0;
    } catch {
      return false;
    } finally {
      await receiver.close().catch(() => undefined);
    }
  }

  expect(source: string, id: string): void {
    this.expected.set(eventKey(source, id), [source, id]);
  }

  /** Keys of expected events with neither a Succeeded settlement nor a dead letter yet. */
  unsettled(runs: RunsSummary = readRuns(this.runsFile)): string[] {
    const { succeeded, deadLettered } = this.outcomes(runs);
    return [...this.expected.keys()].filter((k) => !succeeded.has(k) && !deadLettered.has(k));
  }

  /**
   * Waits until every expected event settled, or nothing settled for `stallMs` (an event that is stuck stays
   * stuck: waiting longer only slows the report down), or the timeout.
   */
  async waitForSettled(timeoutMs: number, stallMs = this.stallMs): Promise<void> {
    let last = -1;
    let changedAt = Date.now();
    await waitUntil(
      () => {
        const left = this.unsettled().length;
        if (left !== last) {
          if (left % 50 === 0 || left < 10) this.log(`${this.options.scenario}: ${left} unsettled`);
          last = left;
          changedAt = Date.now();
        }
        return left === 0 || Date.now() - changedAt > stallMs;
      },
      timeoutMs,
      1000,
    );
  }

  /** Which expected keys succeeded / were dead-lettered, with the reason. */
  outcomes(runs: RunsSummary): { succeeded: Set<string>; deadLettered: Map<string, string> } {
    const sourcesById = new Map<string, string[]>();
    for (const [source, id] of this.expected.values())
      sourcesById.set(id, [...(sourcesById.get(id) ?? []), source]);
    const sourceOfGroup = new Map<string, string>();
    for (const run of runs.runs) if (run.source !== undefined) sourceOfGroup.set(run.group, run.source);
    // The results topic names the event by id (and source once identity is (source, id)); an id sent under
    // several sources is resolved through the group that ran it.
    const resolve = (
      eventId: string,
      source: string | undefined,
      instanceId: string | undefined,
    ): string | undefined => {
      if (source !== undefined) return eventKey(source, eventId);
      const sources = sourcesById.get(eventId) ?? [];
      if (sources.length === 1) return eventKey(sources[0] ?? '', eventId);
      const viaGroup = instanceId ? sourceOfGroup.get(containerGroupNameFor(instanceId)) : undefined;
      return viaGroup !== undefined ? eventKey(viaGroup, eventId) : undefined;
    };
    const succeeded = new Set<string>();
    const deadLettered = new Map<string, string>();
    for (const s of this.observer.settlements.values()) {
      const key = resolve(s.eventId, s.source, s.instanceId);
      if (key === undefined) continue;
      // A success of another route (a forged dispatch-route) is not this event's success.
      if (s.outcome === 'Succeeded' && s.route === recordRoute) succeeded.add(key);
      if (s.outcome === 'DeadLettered') deadLettered.set(key, s.reason ?? 'DeadLettered');
    }
    for (const d of this.observer.deadLetters.values()) {
      if (d.eventId !== undefined && d.source !== undefined)
        deadLettered.set(eventKey(d.source, d.eventId), d.reason);
    }
    return { succeeded, deadLettered };
  }

  /** Stops the stack, counts everything and removes the work dir (unless kept). */
  async finish(extraFindings: (runs: RunsSummary) => string[] = () => []): Promise<ScenarioResult> {
    // Late settlements and dead letters (a marked copy reaches the DLQ after its last delivery) land first.
    await new Promise((r) => setTimeout(r, 3000));
    let leaked: string[] | undefined;
    try {
      leaked = await listContainerGroups(this.stack.armEndpoint);
    } catch (err) {
      this.findings.push(
        `could not list container groups (leaks unknown): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    await this.observer.disconnect();
    await this.client?.close().catch(() => undefined);
    await this.stack.stop();
    const runs = readRuns(this.runsFile);
    const { succeeded, deadLettered } = this.outcomes(runs);
    const lost = this.unsettled(runs);
    const unaccounted = this.runsOfAttemptsWithoutJob(runs);
    const byReason: Record<string, number> = {};
    let foreign = 0;
    for (const d of this.observer.deadLetters.values()) {
      byReason[d.reason || '(none)'] = (byReason[d.reason || '(none)'] ?? 0) + 1;
      if (!dispatcherReasons.has(d.reason)) foreign++;
    }
    const findings = [...this.findings, ...extraFindings(runs)];
    const details: string[] = [];
    if (lost.length > 0)
      details.push(`lost: ${lost.slice(0, 5).join(', ')}${lost.length > 5 ? ', ...' : ''}`);
    if (unaccounted.length > 0)
      details.push(
        `ran although its attempt settled without an exit code: ${unaccounted.slice(0, 5).join(', ')}`,
      );
    if (runs.extraRuns > 0)
      details.push(`ran more than once per attempt: ${runs.groupsRunMoreThanOnce.slice(0, 5).join(', ')}`);
    if (leaked && leaked.length > 0) details.push(`leaked groups: ${leaked.slice(0, 5).join(', ')}`);
    if (runs.unreadable > 0) details.push(`${runs.unreadable} unreadable lines in the runs file`);
    details.push(...this.stack.crashes);
    const foreignExamples = [...this.observer.deadLetters.values()].filter(
      (d) => !dispatcherReasons.has(d.reason),
    );
    for (const d of foreignExamples.slice(0, 3))
      details.push(
        `dead letter without a dispatcher reason: ${d.reason || '(none)'} for ${JSON.stringify(d.body.toString('utf8').slice(0, 80))}`,
      );
    const result: ScenarioResult = {
      scenario: this.options.scenario,
      sent: this.sent,
      refused: this.refused.length,
      validEvents: this.expected.size,
      succeeded: [...this.expected.keys()].filter((k) => succeeded.has(k)).length,
      requeued: [...this.observer.settlements.values()].filter((s) => s.outcome === 'Requeued').length,
      deadLettered: byReason,
      lost: lost.length,
      extraRuns: runs.extraRuns,
      unseenRuns: unaccounted.length,
      ...(leaked ? { leakedGroups: leaked.length } : {}),
      crashes: this.stack.crashes.length,
      deadLettersWithoutDispatcherReason: foreign,
      findings,
      details,
      seconds: Math.round((Date.now() - this.started) / 100) / 10,
    };
    void deadLettered;
    // Jobs outlive the stack by design (supervisors of their own): none may outlive the scenario.
    killPersistedContainers(join(this.workDir, 'state', 'aci'));
    if (!this.options.keep) rmSync(this.workDir, { recursive: true, force: true });
    else this.log(`${this.options.scenario}: work dir kept at ${this.workDir}`);
    return result;
  }

  /**
   * Groups whose job ran although the dispatcher settled that attempt with no exit code (create failed, so it
   * requeued or dead-lettered believing nothing ran): the next attempt runs the job again, one run too many.
   */
  private runsOfAttemptsWithoutJob(runs: RunsSummary): string[] {
    const settledByGroup = new Map<string, Settlement>();
    for (const s of this.observer.settlements.values())
      if (s.instanceId !== undefined) settledByGroup.set(containerGroupNameFor(s.instanceId), s);
    const groups = new Set(runs.runs.map((r) => r.group));
    const unseen: string[] = [];
    for (const group of groups) {
      const settled = settledByGroup.get(group);
      if (settled !== undefined && settled.exitCode === undefined)
        unseen.push(`${group} (${settled.outcome}: ${(settled.reason ?? '').slice(0, 60)})`);
    }
    return unseen;
  }

  /** The expected event keys that recordRoute's job ran for (any attempt). */
  static ranKeys(runs: RunsSummary): Set<string> {
    return new Set(
      runs.runs
        .filter((r) => r.route === recordRoute && r.eventId !== undefined && r.source !== undefined)
        .map((r) => eventKey(r.source ?? '', r.eventId ?? '')),
    );
  }
}
