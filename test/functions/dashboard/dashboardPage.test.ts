import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest } from '@azure/functions';
import { createDashboardPage } from '../../../functions/dashboard/dashboardPage';

function get(asset: string | undefined): HttpRequest {
  return new HttpRequest({
    method: 'GET',
    url: `http://localhost/api/dashboard/${asset ?? ''}`,
    params: asset === undefined ? {} : { asset },
  });
}

describe('dashboard page', () => {
  const page = createDashboardPage(join(__dirname, '../../../functions/dashboard/static'));

  it('serves index.html at the folder, with a content security policy that allows no inline script', async () => {
    const response = await page(get(undefined));
    expect(response.status).toBe(200);
    const headers = response.headers as Record<string, string>;
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect((response.body as Buffer).toString('utf8')).toContain('<script type="module" src="dashboard.js">');
  });

  it('serves its scripts and stylesheet, and nothing else from the folder', async () => {
    for (const script of ['dashboard.js', 'api.js', 'dom.js', 'deadLetterPanel.js', 'statsPanels.js'])
      expect((await page(get(script))).headers).toMatchObject({
        'content-type': 'text/javascript; charset=utf-8',
      });
    expect((await page(get('dashboard.css'))).status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
    writeFileSync(join(dir, 'secret.txt'), 'no');
    expect((await createDashboardPage(dir)(get('secret.txt'))).status).toBe(404);
    expect((await page(get('../../../package.json'))).status).toBe(404);
  });
});
