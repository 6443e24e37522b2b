import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readSupervisorExit,
  readSupervisorRecord,
  spawnSupervisor,
} from '../../../devhost/aci/containerSupervisor';

/*
 * The supervisor that runs a container's process outlives the emulator. An emulator killed while it was still
 * spawning the supervisor never wrote the supervisor's record; the supervisor writes it itself before the job
 * starts, so a restarted emulator always finds a running job again (instead of reporting the deployment failed
 * and the group being replaced, which ran its job a second time).
 */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function exitOf(containerDir: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const exit = readSupervisorExit(containerDir);
    if (exit) return exit;
    if (Date.now() > until) throw new Error('the supervised job did not end');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('writes its own record before it starts the job, even when the emulator never writes one', async () => {
  const containerDir = join(dir, 'c1');
  const startTime = '2026-11-29T12:00:00.000Z';
  // The job exits 0 only if the record is already there when it starts.
  const check = `process.exit(require('fs').existsSync(${JSON.stringify(join(containerDir, 'supervisor.json'))}) ? 0 : 9)`;
  const child = spawnSupervisor({
    argv: [process.execPath, '-e', check],
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '' },
    dir: containerDir,
    startTime,
  });
  const exit = await exitOf(containerDir);
  expect(exit).toMatchObject({ exitCode: 0, signal: null });
  expect(readSupervisorRecord(containerDir)).toEqual({ pid: child.pid, startTime });
});
