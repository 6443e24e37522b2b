import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * One JSON file per record under `<stateDir>/<folder>/` (instances, entities), replaced
 * atomically (write to a temp file, fsync, rename) so a crash leaves either
 * the old or the new state, never a torn file.
 */
export class InstanceFileStore<T extends { instanceId: string }> {
  private readonly dir: string;
  private tempCounter = 0;

  /**
   * @param fsync flush each write to disk before the rename (crash-safe; slower).
   * @param folder sub-folder of stateDir the records live in.
   */
  constructor(
    stateDir: string,
    private readonly fsync = true,
    folder = 'instances',
  ) {
    this.dir = path.join(path.resolve(stateDir), folder);
    fs.mkdirSync(this.dir, { recursive: true });
  }

  private fileFor(instanceId: string): string {
    // encodeURIComponent keeps ids like "route-abc:0" readable and file-system safe.
    return path.join(this.dir, `${encodeURIComponent(instanceId).replace(/\*/g, '%2A')}.json`);
  }

  save(record: T): void {
    const file = this.fileFor(record.instanceId);
    const temp = `${file}.${process.pid}.${this.tempCounter++}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify({ formatVersion: 1, record }));
      if (this.fsync) {
        fs.fsyncSync(fd);
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  }

  delete(instanceId: string): void {
    fs.rmSync(this.fileFor(instanceId), { force: true });
  }

  loadAll(): T[] {
    const records: T[] = [];
    for (const entry of fs.readdirSync(this.dir)) {
      const full = path.join(this.dir, entry);
      if (entry.endsWith('.tmp')) {
        // Left over from a crash mid-write: the rename never happened, so the old file is authoritative.
        fs.rmSync(full, { force: true });
        continue;
      }
      if (!entry.endsWith('.json')) {
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(full, 'utf8'));
      } catch (error) {
        throw new Error(`Durable state file ${full} is not valid JSON: ${(error as Error).message}`);
      }
      const wrapper = parsed as { formatVersion?: unknown; record?: T };
      if (wrapper.formatVersion !== 1 || typeof wrapper.record?.instanceId !== 'string') {
        throw new Error(
          `Durable state file ${full}: expected { formatVersion: 1, record: { instanceId, ... } }.`,
        );
      }
      records.push(wrapper.record);
    }
    return records;
  }
}
