import { ServiceBusClient } from '@azure/service-bus';
import { buildCloudEvent } from '../cli/sendCommand';

/** The events behind the dashboard's screenshots and browser test (routes: devhost/config/dashboardDemo.routes.json). */
export interface DemoMix {
  succeeded: string[];
  deadLettered: string[];
  running: string[];
  requeued: string[];
  unroutable: string[];
  /** MessageIds of bodies that are not events at all (no event id). */
  invalid: string[];
}

/**
 * Sends a realistic mix: thumbnails that succeed, invoices that fail twice and are dead-lettered with their log
 * tail, a long report that stays running, an export whose retry waits ten minutes, an event no route matches and
 * a body that is not JSON.
 */
export async function sendDemoMix(
  connectionString: string,
  queue = 'dispatch',
  thumbnails = 12,
): Promise<DemoMix> {
  const client = new ServiceBusClient(connectionString);
  const mix: DemoMix = {
    succeeded: [],
    deadLettered: [],
    running: [],
    requeued: [],
    unroutable: [],
    invalid: [],
  };
  try {
    const sender = client.createSender(queue);
    const send = async (type: string, into: string[], data?: unknown): Promise<void> => {
      const event = buildCloudEvent({
        type,
        source: 'urn:shop:orders',
        ...(data !== undefined ? { data } : {}),
      });
      await sender.sendMessages({
        body: Buffer.from(JSON.stringify(event), 'utf8'),
        contentType: 'application/cloudevents+json; charset=utf-8',
        messageId: String(event.id),
      });
      into.push(String(event.id));
    };
    for (let i = 0; i < thumbnails; i++)
      await send('demo.thumbnail', mix.succeeded, { photo: `p-${1000 + i}.jpg` });
    await send('demo.invoice', mix.deadLettered, { order: 'A-1042' });
    await send('demo.invoice', mix.deadLettered, { order: 'A-1043' });
    await send('demo.report', mix.running, { month: '2026-11' });
    await send('demo.export', mix.requeued, { table: 'orders' });
    await send('demo.refund', mix.unroutable, { order: 'A-1001' });
    const invalidId = 'not-an-event-1';
    await sender.sendMessages({
      body: Buffer.from('{"specversion":"1.0", "id": ', 'utf8'),
      messageId: invalidId,
    });
    mix.invalid.push(invalidId);
    await sender.close();
  } finally {
    await client.close();
  }
  return mix;
}
