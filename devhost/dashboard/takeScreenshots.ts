import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultAppRoot, startDevStack } from '../dev/startDevStack';
import { launchChromium } from './chromium';
import { sendDemoMix } from './sendDemoMix';
import { waitForDemoMix } from './waitForDemoMix';

/**
 * `npm run screenshots`: starts the offline stack with the dashboard demo routes, sends a realistic mix of events,
 * waits until every kind of outcome is on screen and saves docs/images/dashboard.png and dashboard-event.png.
 */
async function main(): Promise<void> {
  const appRoot = defaultAppRoot();
  const out = join(appRoot, 'docs', 'images');
  mkdirSync(out, { recursive: true });
  const stack = await startDevStack({
    httpPort: 0,
    serviceBusPort: 0,
    aciPort: 0,
    routesFile: join(appRoot, 'devhost', 'config', 'dashboardDemo.routes.json'),
    log: () => undefined,
  });
  const browser = await launchChromium({ width: 1440, height: 1100 });
  try {
    const mix = await sendDemoMix(stack.serviceBusConnectionString);
    await waitForDemoMix(stack.httpBase, mix);
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => process.stderr.write(`page error: ${err.message}\n`));
    await page.goto(stack.httpBase.replace(/\/api$/, '/'));
    await page
      .locator('#dlq tbody tr')
      .nth(3)
      .waitFor()
      .catch(async (err: unknown) => {
        await page.screenshot({ path: join(out, 'dashboard-failed.png'), fullPage: true });
        throw err;
      });
    await page.locator('#running tbody tr').first().waitFor();
    await page.screenshot({ path: join(out, 'dashboard.png'), fullPage: true });
    await page.locator('#jobs tbody tr', { hasText: 'DeadLettered' }).first().click();
    await page.locator('#timeline pre.log').first().waitFor();
    await page.locator('#event-panel').screenshot({ path: join(out, 'dashboard-event.png') });
    process.stdout.write(`saved ${join(out, 'dashboard.png')} and dashboard-event.png\n`);
  } finally {
    await browser.close();
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `screenshots failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
