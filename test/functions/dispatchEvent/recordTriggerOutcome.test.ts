import { createHash } from 'node:crypto';
import { TableEventLedger } from '../../../adapters/ledger/tableEventLedger';
import { startAzurite, type RunningAzurite } from '../../../devhost/dev/startAzurite';
import { recordTriggerOutcome } from '../../../functions/dispatchEvent/recordTriggerOutcome';
import { azuriteLedger } from '../../support/azuriteTables';

let azurite: RunningAzurite;
let ledger: TableEventLedger;
beforeAll(async () => {
  azurite = await startAzurite();
  ledger = azuriteLedger(azurite);
});
afterAll(async () => {
  await azurite?.close();
});

const at = '2026-11-29T10:00:00.000Z';

describe('recordTriggerOutcome', () => {
  it('records a dispatched delivery: the event, its routes and each attempt once', async () => {
    const event = { id: 'ok-1', source: 'urn:s', type: 't', subject: 'sub' };
    const instances = [
      { route: 'a', attempt: 1, instanceId: 'a-1-a1' },
      { route: 'b', attempt: 1, instanceId: 'b-1-a1' },
    ];
    await recordTriggerOutcome(ledger, {
      messageId: 'm1',
      receivedAt: at,
      event,
      result: { kind: 'dispatched', instances },
    });
    // A duplicate delivery: counted, nothing else changes.
    await recordTriggerOutcome(ledger, {
      messageId: 'm1',
      receivedAt: at,
      event,
      result: { kind: 'dispatched', instances },
    });
    expect(await ledger.find({ eventId: 'ok-1', source: 'urn:s' })).toMatchObject({
      type: 't',
      subject: 'sub',
      messageId: 'm1',
      deliveries: 2,
      routes: ['a', 'b'],
      attempts: [
        { route: 'a', attempt: 1, instanceId: 'a-1-a1', startedAt: at },
        { route: 'b', attempt: 1, instanceId: 'b-1-a1', startedAt: at },
      ],
    });
  });

  it('records a rejection under the id and source the body carries, even when it is not a valid event', async () => {
    const bodyText = JSON.stringify({ specversion: '1.0', id: 'no-type-1', source: 'urn:p' });
    await recordTriggerOutcome(ledger, {
      messageId: 'm2',
      receivedAt: at,
      bodyText,
      result: {
        kind: 'rejected',
        reason: 'InvalidEvent',
        description: 'type: required attribute is missing',
      },
    });
    expect(await ledger.findById('no-type-1')).toEqual([
      expect.objectContaining({
        source: 'urn:p',
        messageId: 'm2',
        rejection: { reason: 'InvalidEvent', description: 'type: required attribute is missing', at },
      }),
    ]);
  });

  it('records unreadable bodies under the MessageId, or a hash of the body without one', async () => {
    const rejected = {
      kind: 'rejected' as const,
      reason: 'InvalidEvent',
      description: 'json@12: unexpected end',
    };
    await recordTriggerOutcome(ledger, {
      messageId: 'm3',
      receivedAt: at,
      bodyText: '{"id":',
      result: rejected,
    });
    expect(await ledger.find({ eventId: 'm3', source: '' })).toMatchObject({
      rejection: { reason: 'InvalidEvent' },
    });
    await recordTriggerOutcome(ledger, { receivedAt: at, bodyText: 'not json', result: rejected });
    const hash = createHash('sha256').update('not json', 'utf8').digest('hex');
    const [found] = await ledger.findById(`body-sha256-${hash}`);
    expect(found?.rejection?.description).toBe('json@12: unexpected end');
  });
});
