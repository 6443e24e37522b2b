import Long from 'long';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import {
  guidToDotNetBytes,
  modelBindingDataFor,
  triggerBodyFor,
  triggerInputFor,
  triggerMetadataFor,
} from '../../../devhost/functionsHost/serviceBusMessageData';

function received(overrides: Partial<ServiceBusReceivedMessage>): ServiceBusReceivedMessage {
  return {
    body: Buffer.from('{"id":"e1","specversion":"1.0"}'),
    messageId: 'm-1',
    lockToken: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    deliveryCount: 2,
    enqueuedTimeUtc: new Date('2026-01-02T03:04:05.000Z'),
    sequenceNumber: Long.fromNumber(42),
    applicationProperties: { 'dispatch-attempt': 2, 'Dispatch-Route': 'a' },
    contentType: 'application/json',
    state: 'active',
    _rawAmqpMessage: { body: undefined },
    ...overrides,
  };
}

describe('trigger input as the Node worker delivers it', () => {
  it('parses a JSON body and leaves other text as a string', () => {
    expect(triggerBodyFor(received({}))).toEqual({ id: 'e1', specversion: '1.0' });
    expect(triggerBodyFor(received({ body: Buffer.from('not json {') }))).toBe('not json {');
  });

  it('hands the body bytes untouched for dataType "binary", and the decoded body otherwise', () => {
    const invalid = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]); // {"a":"<E9>"}
    const input = triggerInputFor(received({ body: invalid }), 'binary');
    expect(Buffer.isBuffer(input)).toBe(true);
    expect(input).toEqual(invalid);
    expect(triggerInputFor(received({ body: invalid }), undefined)).toEqual({ a: '\uFFFD' });
    expect(triggerInputFor(received({ body: 'text' }), 'binary')).toEqual(Buffer.from('text'));
  });

  it('camel-cases metadata keys, including nested application property keys', () => {
    const metadata = triggerMetadataFor(received({}));
    expect(metadata).toMatchObject({
      messageId: 'm-1',
      // The host's (.NET) count: the raw AMQP header count + 1.
      deliveryCount: 3,
      sequenceNumber: 42,
      enqueuedTimeUtc: '2026-01-02T03:04:05.000Z',
      lockToken: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      contentType: 'application/json',
      applicationProperties: { 'dispatch-attempt': 2, 'dispatch-Route': 'a' },
      userProperties: { 'dispatch-attempt': 2, 'dispatch-Route': 'a' },
    });
  });

  it('JSON-parses string metadata values as the worker does (a numeric message id becomes a number)', () => {
    expect(triggerMetadataFor(received({ messageId: '123' })).messageId).toBe(123);
  });
});

describe('sdkBinding model binding data', () => {
  it('lays the lock token out in .NET GUID byte order', () => {
    expect(guidToDotNetBytes('00112233-4455-6677-8899-aabbccddeeff').toString('hex')).toBe(
      '33221100554477668899aabbccddeeff',
    );
    expect(() => guidToDotNetBytes('nope')).toThrow(/not a GUID/);
  });

  it('starts with the lock token bytes and the marker the extension looks for', () => {
    const content = modelBindingDataFor(received({})).content;
    expect(content.subarray(0, 16)).toEqual(guidToDotNetBytes('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'));
    expect(content.subarray(16, 32).toString()).toBe('x-opt-lock-token');
  });
});
