import {
  InvalidEventError,
  PermanentProviderError,
  TransientProviderError,
} from '../../../shared/errors/dispatchErrors';
import { isMessageFault, unhandledFailure } from '../../../functions/dispatchEvent/unhandledFailure';
import type { InboundMessage } from '../../../functions/dispatchEvent/dispatchMessage';

const message: InboundMessage = {
  body: Buffer.from('{"id":"\\ud800"}'),
  contentType: 'application/json',
  applicationProperties: { tenant: 'acme', 'dispatch-route': 'forged' },
  messageId: 'producer-1',
};

describe('the trigger’s last resort', () => {
  it.each([
    ['URIError', new URIError('URI malformed')],
    ['RangeError', new RangeError('Maximum call stack size exceeded')],
    ['TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['PermanentProviderError', new PermanentProviderError('PropertyValueTooLarge', 'PropertyValueTooLarge')],
    ['InvalidEventError', new InvalidEventError('body: bad', 'body')],
  ])('dead-letters a message fault (%s) as InvalidEvent naming the error, keeping the bytes', (name, err) => {
    expect(isMessageFault(err)).toBe(true);
    const result = unhandledFailure(message, err);
    expect(result).toMatchObject({
      kind: 'dead-letter',
      reason: 'InvalidEvent',
      description: `the trigger could not handle this message (${name}: ${err.message})`,
    });
    if (result.kind !== 'dead-letter') throw new Error('expected a dead letter');
    expect(result.copy).toMatchObject({
      body: message.body,
      originalMessageId: 'producer-1',
      originalProperties: { tenant: 'acme' },
    });
    expect(result.copy.originalProperties).not.toHaveProperty('dispatch-route');
  });

  it('bounds the description whatever the error says', () => {
    const result = unhandledFailure(message, new PermanentProviderError(`record of ${'i'.repeat(300_000)}`));
    expect(result.kind === 'dead-letter' && result.description.length).toBeLessThan(400);
  });

  it.each([
    ['a transient provider error', new TransientProviderError('503 from the Table service', '503')],
    [
      'a network error',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10002'), { code: 'ECONNREFUSED' }),
    ],
    ['a thrown string', 'something odd'],
  ])('throws %s again, for the host to retry', (_what, err) => {
    expect(isMessageFault(err)).toBe(false);
    expect(() => unhandledFailure(message, err)).toThrow();
  });
});
