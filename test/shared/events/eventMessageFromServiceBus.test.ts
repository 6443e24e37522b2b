import rhea from 'rhea';
import { eventMessageFromServiceBus } from '../../../shared/events/eventMessageFromServiceBus';
import { parseEventMessage } from '../../../shared/events/parseEventMessage';

/** A message through rhea's real encoder and decoder, as the Service Bus extension receives it. */
function received(body: unknown, contentType?: string, applicationProperties?: Record<string, unknown>) {
  const wire = rhea.message.encode({
    body,
    content_type: contentType,
    application_properties: applicationProperties,
  });
  const decoded = rhea.message.decode(wire) as {
    body?: unknown;
    application_properties?: Record<string, unknown>;
  };
  // What the extension puts in `body` for a data section: the bytes decoded as UTF-8, lossy. Its
  // _rawAmqpMessage (core-amqp's AmqpAnnotatedMessage.fromRheaMessage) keeps rhea's body as it is.
  const section = decoded.body as { content?: Buffer } | undefined;
  return {
    body: section?.content ? section.content.toString('utf8') : decoded.body,
    contentType,
    applicationProperties: decoded.application_properties ?? {},
    _rawAmqpMessage: { body: decoded.body },
  };
}

describe('eventMessageFromServiceBus', () => {
  const text = '{"specversion":"1.0","id":"e","source":"/s","type":"t","data":"caf\u00e9"}';

  it('reads the exact bytes of a data section, so invalid UTF-8 is caught rather than replaced', () => {
    const good = received(rhea.message.data_section(Buffer.from(text)), 'application/cloudevents+json');
    expect(parseEventMessage(eventMessageFromServiceBus(good), { maxEventBytes: 4096 }).event.data).toBe(
      'café',
    );

    const latin1 = Buffer.from(text, 'latin1');
    const bad = received(rhea.message.data_section(latin1), 'application/cloudevents+json');
    expect(bad.body).toContain('\ufffd'); // what the extension alone would hand over
    expect(() => parseEventMessage(eventMessageFromServiceBus(bad), { maxEventBytes: 4096 })).toThrow(
      new RegExp(`^body: invalid UTF-8 at byte ${text.indexOf('\u00e9')} \\(0xe9`),
    );
  });

  it('passes binary-mode properties and the content type through', () => {
    const message = received(rhea.message.data_section(Buffer.from('hi')), 'text/plain', {
      cloudEvents_specversion: '1.0',
      cloudEvents_id: 'b',
      cloudEvents_source: '/s',
      cloudEvents_type: 't',
    });
    const parsed = parseEventMessage(eventMessageFromServiceBus(message), { maxEventBytes: 4096 });
    expect(parsed).toMatchObject({
      mode: 'binary',
      event: { id: 'b', data: 'hi', datacontenttype: 'text/plain' },
    });
  });

  it('uses the decoded body of an AMQP value section', () => {
    const message = received(text);
    expect(eventMessageFromServiceBus(message).body).toBe(text);
  });
});
