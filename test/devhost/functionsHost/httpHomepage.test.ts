import { startHttpTriggerServer } from '../../../devhost/functionsHost/httpTriggerServer';

describe('local host: the site root', () => {
  it('redirects / to the app’s dashboard (keeping ?code=), and still says no function matches elsewhere', async () => {
    const server = await startHttpTriggerServer({
      port: 0,
      functions: [],
      log: () => undefined,
      homepage: 'dashboard/',
    });
    try {
      const root = await fetch(`http://localhost:${server.port}/?code=abc`, { redirect: 'manual' });
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/api/dashboard/?code=abc');
      const other = await fetch(`http://localhost:${server.port}/nothing`);
      expect(other.status).toBe(404);
      expect(await other.text()).toBe('No function matches /nothing');
    } finally {
      await server.close();
    }
  });
});
