import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`): no browser download works here, so playwright drives this one. */
export const chromiumPath = '/usr/bin/chromium';
export const installChromiumCommand = 'apt-get update && apt-get install -y chromium';

/**
 * Makes sure Debian's Chromium is installed. Installs it with apt-get when allowed to (running as root, or in CI
 * with CI=true, where apt-get runs through sudo when not root); otherwise fails with the exact command to run.
 */
export function ensureChromium(log: (line: string) => void = () => undefined): string {
  if (existsSync(chromiumPath)) return chromiumPath;
  const root = process.getuid?.() === 0;
  if (!root && process.env.CI !== 'true') {
    throw new Error(
      `Chromium is not installed (${chromiumPath}); the dashboard's browser test needs it. Install it with:\n  sudo ${installChromiumCommand}`,
    );
  }
  log(`installing Chromium: ${root ? '' : 'sudo '}${installChromiumCommand}`);
  const shell = root ? installChromiumCommand : `sudo -n sh -c '${installChromiumCommand}'`;
  const result = spawnSync('sh', ['-c', shell], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0 || !existsSync(chromiumPath)) {
    throw new Error(
      `installing Chromium failed (exit ${result.status}): ${result.stderr.toString().slice(-2000)}\nRun: sudo ${installChromiumCommand}`,
    );
  }
  return chromiumPath;
}

/**
 * A headless Chromium with its own fresh profile (removed on close), quiet and offline apart from the page.
 * Playwright takes the profile as launchPersistentContext's userDataDir (it refuses a --user-data-dir argument).
 */
export async function launchChromium(
  viewport = { width: 1400, height: 1000 },
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'dispatcher-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
