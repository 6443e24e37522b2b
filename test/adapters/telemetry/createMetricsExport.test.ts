import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createMetricsExport } from '../../../adapters/telemetry/createMetricsExport';
import { loadOrCreateEmulatorCertificate } from '../../../devhost/aci/emulatorCertificate';
import { MetricName, noMetrics } from '../../../shared/metrics/dispatchMetrics';

/*
 * The Azure Monitor exporter against a local HTTPS stand-in for the App Insights ingestion endpoint: what the
 * app sends, and that it authenticates with an Entra token from the app's credential (the component has local
 * auth off, so the instrumentation key in the connection string only locates it).
 */

interface Received {
  path: string;
  authorization?: string;
  body: string;
}

let server: Server;
let endpoint: string;
let caCertPem: string;
const received: Received[] = [];

beforeAll(async () => {
  // Statsbeat would report the exporter's own health to a public endpoint: not from a test.
  process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED = 'true';
  const cert = await loadOrCreateEmulatorCertificate();
  caCertPem = cert.caCertPem;
  server = createServer({ key: cert.serverKeyPem, cert: cert.serverCertPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      received.push({
        path: req.url ?? '',
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        body: body.toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: 1, itemsAccepted: 1, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `https://localhost:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  delete process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED;
  await new Promise((resolve) => server.close(resolve));
});

const tokens: string[] = [];
const credential: TokenCredential = {
  getToken(scopes): Promise<AccessToken> {
    tokens.push(...(Array.isArray(scopes) ? scopes : [scopes]));
    return Promise.resolve({ token: 'entra-token', expiresOnTimestamp: Date.now() + 3_600_000 });
  },
};

describe('createMetricsExport', () => {
  it('exports nothing without a connection string', () => {
    expect(createMetricsExport({ credential }).metrics).toBe(noMetrics);
  });

  it('sends the metrics per route to the ingestion endpoint with an Entra token from the app credential', async () => {
    const exported = createMetricsExport({
      connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=${endpoint}`,
      credential,
      exporterOptions: { tlsOptions: { ca: caCertPem }, disableOfflineStorage: true },
    });
    exported.metrics.eventReceived('thumbnails');
    exported.metrics.jobSettled({
      route: 'thumbnails',
      outcome: 'DeadLettered',
      reason: 'JobTimedOut',
      durationMs: 90_000,
      groupLifetimeMs: 90_000,
      cpu: 2,
      memoryInGB: 4,
    });
    await exported.close(); // flushes the last interval

    const track = received.filter((r) => r.path.includes('/track'));
    expect(track.length).toBeGreaterThanOrEqual(1);
    expect(track.every((r) => r.authorization === 'Bearer entra-token')).toBe(true);
    expect(tokens).toContain('https://monitor.azure.com/.default');
    type Envelope = {
      data: { baseData: { metrics: { name: string; value: number }[]; properties: Record<string, string> } };
    };
    // The body is a JSON array of envelopes (or newline-delimited envelopes).
    const items: Envelope[] = track.flatMap((r) =>
      r.body
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line) => {
          const parsed = JSON.parse(line) as Envelope | Envelope[];
          return Array.isArray(parsed) ? parsed : [parsed];
        }),
    );
    const metric = (name: string) =>
      items.find((i) => i.data.baseData.metrics[0]?.name === name)?.data.baseData;
    expect(metric(MetricName.eventsReceived)).toMatchObject({
      metrics: [{ name: MetricName.eventsReceived, value: 1 }],
      properties: { route: 'thumbnails' },
    });
    expect(metric(MetricName.jobsSettled)?.properties).toEqual({
      route: 'thumbnails',
      outcome: 'DeadLettered',
      reason: 'JobTimedOut',
    });
    expect(metric(MetricName.vcpuSeconds)?.metrics[0]?.value).toBeCloseTo(180, 6);
    expect(metric(MetricName.memoryGbSeconds)?.metrics[0]?.value).toBeCloseTo(360, 6);
  });
});
