import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { ensureChromium, launchChromium } from '../../devhost/dashboard/chromium';
import { sendDemoMix, type DemoMix } from '../../devhost/dashboard/sendDemoMix';
import { waitForDemoMix } from '../../devhost/dashboard/waitForDemoMix';
import { repoRoot } from './devStackHarness';

/**
 * "Always say what happened" and the dashboard, against `dispatcher dev` run as a developer runs it, with the
 * dashboard demo routes: send --wait / --count, watch of a rejected event, the dev log's format and quietness,
 * and the page in Debian's Chromium driven by playwright-core.
 */
const bin = join(repoRoot, 'bin', 'dispatcher.js');
const routes = join(repoRoot, 'devhost', 'config', 'dashboardDemo.routes.json');
let dev: ChildProcess | undefined;
let devLog = '';
let connection = '';
let api = '';

async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      timeout: 90_000,
    });
    return { status: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { status: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

beforeAll(async () => {
  // Installs Chromium when allowed (root or CI=true), else fails naming the command to run.
  ensureChromium();
  dev = spawn(process.execPath, [bin, 'dev', '--port', '0', '--servicebus-port', '0', '--routes', routes], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stderr?.on('data', (chunk: Buffer) => (devLog += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dispatcher dev not ready:\n${devLog}`)), 60_000);
    dev?.stdout?.on('data', (chunk: Buffer) => {
      devLog += chunk.toString();
      if (/^ready$/m.test(devLog)) {
        clearTimeout(timer);
        resolve();
      }
    });
    dev?.once('exit', (code) => reject(new Error(`dispatcher dev exited with ${code}:\n${devLog}`)));
  });
  connection = /^Service Bus: (Endpoint=sb:\/\/\S+)$/m.exec(devLog)?.[1] ?? '';
  api = /^HTTP: (http:\/\/localhost:\d+\/api)$/m.exec(devLog)?.[1] ?? '';
}, 600_000);

it('dev names the dashboard after ready', () => {
  expect(devLog).toContain(`the dashboard: ${api.replace(/\/api$/, '')}/`);
});

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    const exited = new Promise((resolve) => dev?.once('exit', resolve));
    dev.kill('SIGTERM');
    await exited;
  }
});

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** watch reads only the status API. */
const watchTarget = (): string[] => ['--api', api, '--interval', '0.5', '--timeout', '60'];
const target = (): string[] => [
  '--connection',
  connection,
  '--api',
  api,
  '--interval',
  '0.5',
  '--timeout',
  '60',
];

describe('send --wait, send --count and watch say what happened', () => {
  let invoiceId = '';

  it('send --wait prints the id, the outcome and the job output, and exits 0 on success', async () => {
    const sent = await cli(['send', '--type', 'demo.thumbnail', '--wait', ...target()]);
    expect(sent.status).toBe(0);
    const id = sent.stdout.split('\n')[0] ?? '';
    expect(sent.stdout).toContain(`event ${id} Succeeded: thumbnails: Succeeded after 1 attempt (exit 0)`);
    expect(sent.stdout).toContain(`thumbnail written for ${id}`);
  });

  it('send --wait of a failing job shows the requeue with its next attempt, the dead-letter reason and log tail, exit 2', async () => {
    const sent = await cli(['send', '--type', 'demo.invoice', '--wait', ...target()]);
    expect(sent.status).toBe(2);
    invoiceId = sent.stdout.split('\n')[0] ?? '';
    expect(sent.stdout).toMatch(
      /invoices attempt 1\/2 requeued: JobFailed: .*; next attempt due \d\d:\d\d:\d\dZ/,
    );
    expect(sent.stdout).toContain('invoices attempt 2/2 dead-lettered (JobFailed)');
    expect(sent.stdout).toMatch(/log tail:\n(?:.*\n)*\s+invoice-marker: template missing/);
  });

  it('watch of a dead-lettered event shows the requeue, the reason and the log tail under the table', async () => {
    const watched = await cli(['watch', invoiceId, ...watchTarget()]);
    expect(watched.status).toBe(2);
    expect(watched.stdout).toMatch(/invoices attempt 1\/2 requeued: .*next attempt due/);
    expect(watched.stdout).toMatch(/invoices attempt 2\/2 dead-lettered \(JobFailed\)[\s\S]*invoice-marker/);
  });

  it('send --wait and watch of an event no route matches say it was rejected and why, exit 2', async () => {
    const sent = await cli(['send', '--type', 'demo.nothing', '--wait', ...target()]);
    expect(sent.status).toBe(2);
    const id = sent.stdout.split('\n')[0] ?? '';
    expect(sent.stdout).toContain(`event ${id} rejected (NoRoute): no route matches type "demo.nothing"`);
    const watched = await cli(['watch', id, ...watchTarget()]);
    expect(watched.status).toBe(2);
    expect(watched.stdout).toContain(`event ${id} was rejected (NoRoute)`);
  });

  it('send --count --rate sends a burst with progress and a summary with p50/p95', async () => {
    const burst = await cli([
      'send',
      '--type',
      'demo.thumbnail',
      '--count',
      '6',
      '--rate',
      '20',
      ...target(),
    ]);
    expect(burst.status).toBe(0);
    expect(burst.stderr).toContain('sent    6/6');
    expect(burst.stderr).toContain('settled 6/6');
    expect(burst.stdout).toMatch(
      /^sent 6, settled 6 \(Succeeded 6\); send to settled p50 \d+\.\ds, p95 \d+\.\ds$/m,
    );
  });

  it('the dev log shows job output by route and attempt, one warning per dead letter, no stack traces, one format', () => {
    expect(devLog).toMatch(/\[info\] invoices a1 [0-9a-f]{8} \| invoice-marker: template missing/);
    const warnings = devLog.split('\n').filter((line) => line.includes(`dead-lettering event ${invoiceId}`));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/\[warn\] .*\(JobFailed\): route invoices, attempt 2\/2/);
    expect(devLog).not.toMatch(/^\s+at /m);
    // The marked copy's rejected deliveries (classic mode) are expected failures: not one error line each.
    expect(devLog).not.toMatch(/\[error\].*MarkedForDeadLetterError/);
    const cliLines = /^(Service Bus: |Blob: |HTTP: |ready$|Next, | {2}then: | {2}or add --wait)/;
    const odd = devLog
      .split('\n')
      .filter((line) => line !== '' && !cliLines.test(line))
      .filter((line) => !/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] \[(trace|debug|info|warn|error|crit)\] /.test(line));
    expect(odd).toEqual([]);
  });
});

describe('dashboard in a headless browser', () => {
  let mix: DemoMix;

  beforeAll(async () => {
    mix = await sendDemoMix(connection);
    await waitForDemoMix(api, mix);
  }, 120_000);

  it('shows counts, running jobs, rejected events, the dead-letter queue and an event timeline, live and paged', async () => {
    const chromium = await launchChromium();
    try {
      const page = await chromium.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(api.replace(/\/api$/, '/'));
      expect(page.url()).toBe(`${api}/dashboard/`);

      const summary = page.locator('#summary tbody');
      for (const route of ['thumbnails', 'invoices', 'reports', 'exports'])
        await summary.locator('tr', { hasText: route }).waitFor();
      const running = page.locator('#running tbody tr', { hasText: 'reports' });
      await running.waitFor();
      await expect(running.innerText()).resolves.toMatch(
        /Watching\s+dispatcher-jobs\/westeurope\s+\d+s\s+.*\(in /,
      );

      // GET /api/stats: received per route and dead-letter reasons.
      await page.locator('#stats tbody tr', { hasText: 'JobFailed' }).first().waitFor();

      const rejected = page.locator('#rejected tbody');
      await rejected.locator('tr', { hasText: 'NoRoute' }).first().waitFor();
      await rejected.locator('tr', { hasText: 'InvalidEvent' }).first().waitFor();
      await page.locator('#dlq tbody tr', { hasText: 'JobFailed' }).first().waitFor();

      // One event's attempts: requeue, dead-letter with reason, log tail.
      await page.fill('#event-id', mix.deadLettered[0] ?? '');
      await page.click('#jobs-filter button');
      const timeline = page.locator('#timeline');
      await timeline.locator('li', { hasText: 'attempt 2/2' }).waitFor();
      await expect(timeline.innerText()).resolves.toMatch(/attempt 1\/2\s*Requeued[\s\S]*next attempt due/);
      await expect(timeline.innerText()).resolves.toContain('dead-lettered: JobFailed');
      await expect(timeline.locator('pre.log').first().innerText()).resolves.toContain('invoice-marker');

      // A succeeded job's result (from its output file) in its timeline.
      await page.fill('#event-id', mix.succeeded[0] ?? '');
      await page.click('#jobs-filter button');
      await expect(timeline.locator('pre.output').innerText()).resolves.toMatch(
        /result: \{\s*"thumbnail": "thumbs\/p-1000\.jpg",\s*"width": 320\s*\}/,
      );

      // Resubmit from the dead-letter queue: asks first (keeping it changes nothing), then the event runs again
      // as resubmission generation 1 and leaves the queue.
      const again = mix.deadLettered[1] ?? '';
      const deadRow = page.locator('#dlq tbody tr', { hasText: again.slice(0, 8) });
      await deadRow.locator('button.resubmit').click();
      await expect(page.locator('#confirm-text').innerText()).resolves.toContain(`Resubmit event ${again}`);
      await page.click('#confirm button[value="no"]');
      await expect(page.locator('#dlq-result').innerText()).resolves.toBe('');
      await deadRow.locator('button.resubmit').click();
      await page.click('#confirm-yes');
      await until('the resubmit result', async () => (await page.locator('#dlq-result').innerText()) !== '');
      await expect(page.locator('#dlq-result').innerText()).resolves.toBe(
        `resubmitted event ${again}: generation 1, attempt 1 on invoices`,
      );
      await expect(page.locator('#event-title').innerText()).resolves.toBe(again);
      await timeline
        .locator('li', { hasText: 'resubmission 1 · attempt 1/2' })
        .filter({ hasText: 'exit code 3' })
        .waitFor({ timeout: 60_000 });

      // Cancel asks first, then stops the running report.
      await page.fill('#event-id', mix.running[0] ?? '');
      await page.click('#jobs-filter button');
      await timeline.locator('li', { hasText: 'Watching' }).waitFor();
      await page.click('#cancel-event');
      await expect(page.locator('#confirm-text').innerText()).resolves.toContain(
        `Cancel event ${mix.running[0]}`,
      );
      await page.click('#confirm-yes');
      await until('a cancel result', async () => (await page.locator('#action-result').innerText()) !== '');
      await expect(page.locator('#action-result').innerText()).resolves.toMatch(/^20[02]: /);
      await timeline.locator('li', { hasText: 'Cancelled' }).first().waitFor({ timeout: 60_000 });

      // Filters page through /api/jobs without reloading the page.
      await page.selectOption('#filter-phase', 'Succeeded');
      await until('only succeeded jobs listed', async () =>
        (await page.locator('#jobs tbody tr').allInnerTexts()).every((row) => row.includes('Succeeded')),
      );
      const refreshed = await page.locator('body').getAttribute('data-refreshed');
      await until(
        'a live refresh',
        async () => (await page.locator('body').getAttribute('data-refreshed')) !== refreshed,
      );
      // Runs in the page (DOM typings are not in this project's lib): one navigation means no full reload.
      const navigations = await page.evaluate(
        () =>
          (performance as unknown as { getEntriesByType(type: string): unknown[] }).getEntriesByType(
            'navigation',
          ).length,
      );
      expect(navigations).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await chromium.close();
    }
  }, 240_000);
});
