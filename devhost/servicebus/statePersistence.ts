import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NamespaceSnapshot, ServiceBusNamespace } from './serviceBusNamespace';

export const STATE_FILE = 'servicebus-state.json';

/**
 * Snapshots the namespace to `<stateDir>/servicebus-state.json` whenever it changed, at most every
 * `intervalMs`. Each write goes to a temporary file that is then renamed over the old one, so a crash
 * mid-write leaves the previous snapshot intact. `whenDurable()` lets the broker hold back a send's
 * acknowledgement until a snapshot containing it is on disk.
 */
export class StatePersistence {
  private readonly file: string;
  private savedVersion = -1;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private waiters: { version: number; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(
    stateDir: string,
    private readonly ns: ServiceBusNamespace,
    private readonly log: (line: string) => void,
    private readonly intervalMs = 25,
  ) {
    mkdirSync(stateDir, { recursive: true });
    this.file = join(stateDir, STATE_FILE);
  }

  load(): void {
    if (!existsSync(this.file)) return;
    let snap: NamespaceSnapshot;
    try {
      snap = JSON.parse(readFileSync(this.file, 'utf8')) as NamespaceSnapshot;
    } catch (err) {
      throw new Error(`${this.file}: cannot read the Service Bus emulator state: ${(err as Error).message}`);
    }
    if (snap.version !== 1)
      throw new Error(`${this.file}: unsupported state version ${String(snap.version)}`);
    const skipped = this.ns.restore(snap);
    if (skipped.length > 0) this.log(`state: ignored entities no longer configured: ${skipped.join(', ')}`);
    this.savedVersion = this.ns.changeVersion;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  whenDurable(): Promise<void> {
    const version = this.ns.changeVersion;
    if (version <= this.savedVersion) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ version, resolve, reject }));
  }

  /** Writes the current state if it changed; concurrent calls share one write. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    const version = this.ns.changeVersion;
    if (version === this.savedVersion) return;
    this.writing = this.write(version);
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
  }

  private async write(version: number): Promise<void> {
    const tmp = `${this.file}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(this.ns.snapshot()));
      await rename(tmp, this.file);
    } catch (err) {
      this.log(`state: write failed: ${(err as Error).message}`);
      const failed = this.waiters.filter((w) => w.version <= version);
      this.waiters = this.waiters.filter((w) => w.version > version);
      for (const w of failed) w.reject(err);
      throw err;
    }
    this.savedVersion = version;
    const done = this.waiters.filter((w) => w.version <= version);
    this.waiters = this.waiters.filter((w) => w.version > version);
    for (const w of done) w.resolve();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
