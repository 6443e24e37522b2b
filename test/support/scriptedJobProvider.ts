import type { CreatedJob, JobProvider, JobSpec, JobStatus, JobTarget } from '../../adapters/aci/jobProvider';

/** How one scripted job behaves, in virtual time. */
export interface JobScript {
  /**
   * Thrown by successive create() calls, in order, before a create succeeds; `location` limits one to a target.
   * `processed`: ARM created the group and then the response was lost (the job exists and runs).
   */
  createErrors?: { error: Error; location?: string; processed?: boolean }[];
  /** Terminates this long after creation (default 10 s). */
  runMs?: number;
  /** Exit code of the first termination (default 0). */
  exitCode?: number;
  /** Never terminates on its own. */
  neverEnds?: boolean;
  /** The image cannot be pulled: status reports a permanent failure with this detail. */
  pullFailure?: string;
  /** Job output; logs() returns its last lines. */
  output?: string;
  /** The `count` status reads from `afterMs` after creation on throw this error (transient ARM faults). */
  statusErrors?: { afterMs: number; count: number; error: Error };
}

export interface ScriptedJob {
  spec: JobSpec;
  target: JobTarget;
  createdAtMs: number;
  stoppedAtMs?: number;
  deleted: boolean;
  script: JobScript;
}

/**
 * A JobProvider whose jobs end at scripted virtual times with scripted exit codes (or fail creation with
 * scripted errors). Idempotent like the real one: create() of an existing name reuses it.
 */
export class ScriptedJobProvider implements JobProvider {
  readonly jobs = new Map<string, ScriptedJob>();
  readonly calls: {
    op: 'create' | 'status' | 'logs' | 'stop' | 'delete';
    name: string;
    location: string;
    atMs: number;
  }[] = [];
  private readonly pendingErrors = new Map<
    string,
    { error: Error; location?: string; processed?: boolean }[]
  >();
  private readonly statusFailures = new Map<string, number>();
  /** Groups created per name (a run of the job each), whatever the caller was told. */
  readonly runs = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly scriptFor: (spec: JobSpec) => JobScript = () => ({}),
  ) {}

  create(spec: JobSpec, target: JobTarget): Promise<CreatedJob> {
    this.record('create', spec.name, target);
    const script = this.scriptFor(spec);
    if (!this.pendingErrors.has(spec.name))
      this.pendingErrors.set(spec.name, [...(script.createErrors ?? [])]);
    const queue = this.pendingErrors.get(spec.name)!;
    const index = queue.findIndex((e) => e.location === undefined || e.location === target.location);
    const live = this.find(spec.name, target);
    if (index >= 0) {
      const [next] = queue.splice(index, 1);
      if (next!.processed && !live) this.start(spec, target, script);
      return Promise.reject(next!.error);
    }
    if (live) return Promise.resolve({ target: live.target, reused: true });
    this.start(spec, target, script);
    return Promise.resolve({ target, reused: false });
  }

  private start(spec: JobSpec, target: JobTarget, script: JobScript): void {
    const job = { spec, target, createdAtMs: this.now(), deleted: false, script };
    this.jobs.set(spec.name, job);
    this.groups.push(job);
    this.runs.set(spec.name, (this.runs.get(spec.name) ?? 0) + 1);
  }

  /** Groups that still exist (not deleted), as `<name>@<location>`. */
  liveGroups(): string[] {
    return this.groups.filter((j) => !j.deleted).map((j) => `${j.spec.name}@${j.target.location}`);
  }

  status(name: string, target: JobTarget): Promise<JobStatus> {
    this.record('status', name, target);
    // Like ARM: a group that does not exist (here) is a 404, which the ACI adapter reports as missing.
    if (!this.find(name, target))
      return Promise.resolve({ state: 'Failed', missing: true, detail: `container group ${name} not found` });
    const job = this.require(name);
    const { script } = job;
    const faults = script.statusErrors;
    if (faults && this.now() >= job.createdAtMs + faults.afterMs) {
      const failed = this.statusFailures.get(name) ?? 0;
      if (failed < faults.count) {
        this.statusFailures.set(name, failed + 1);
        return Promise.reject(faults.error);
      }
    }
    if (script.pullFailure !== undefined)
      return Promise.resolve({
        state: 'Failed',
        permanentFailure: 'ImagePullFailed',
        detail: script.pullFailure,
      });
    const endsAt = script.neverEnds ? Infinity : job.createdAtMs + (script.runMs ?? 10_000);
    if (job.stoppedAtMs !== undefined && job.stoppedAtMs < endsAt) {
      return Promise.resolve({
        state: 'Failed',
        detail: 'container group was stopped before its container terminated',
      });
    }
    if (this.now() >= endsAt) {
      const exitCode = script.exitCode ?? 0;
      return Promise.resolve({ state: exitCode === 0 ? 'Succeeded' : 'Failed', exitCode });
    }
    return Promise.resolve({ state: 'Running' });
  }

  logs(name: string, target: JobTarget, tailLines: number): Promise<string> {
    this.record('logs', name, target);
    const output = this.require(name).script.output ?? '';
    return Promise.resolve(output.split('\n').slice(-tailLines).join('\n'));
  }

  stop(name: string, target: JobTarget): Promise<void> {
    this.record('stop', name, target);
    const job = this.jobs.get(name);
    if (job && job.stoppedAtMs === undefined) job.stoppedAtMs = this.now();
    return Promise.resolve();
  }

  delete(name: string, target: JobTarget): Promise<void> {
    this.record('delete', name, target);
    // A group lives in one resource group and region: deleting the name elsewhere leaves it alone.
    const job = this.find(name, target);
    if (job) job.deleted = true;
    return Promise.resolve();
  }

  count(op: ScriptedJobProvider['calls'][number]['op'], name?: string): number {
    return this.calls.filter((c) => c.op === op && (name === undefined || c.name === name)).length;
  }

  private record(op: ScriptedJobProvider['calls'][number]['op'], name: string, target: JobTarget): void {
    this.calls.push({ op, name, location: target.location, atMs: this.now() });
  }

  /** Every group ever created, on any target (`jobs` holds the latest per name). */
  private readonly groups: ScriptedJob[] = [];

  private find(name: string, target: JobTarget): ScriptedJob | undefined {
    return this.groups.find(
      (j) =>
        j.spec.name === name &&
        !j.deleted &&
        j.target.location === target.location &&
        j.target.resourceGroup === target.resourceGroup,
    );
  }

  private require(name: string): ScriptedJob {
    const job = this.jobs.get(name);
    if (!job || job.deleted) throw new Error(`scripted job ${name} does not exist`);
    return job;
  }
}
