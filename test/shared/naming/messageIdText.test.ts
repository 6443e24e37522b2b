import Long from 'long';
import { messageIdText } from '../../../shared/naming/messageIdText';

describe('messageIdText', () => {
  it('gives one text per MessageId of any AMQP type', () => {
    expect(messageIdText('m-1')).toBe('m-1');
    expect(messageIdText(123)).toBe('123');
    expect(messageIdText('123')).toBe('123');
    expect(messageIdText(12345678901234567890n)).toBe('12345678901234567890');
    expect(messageIdText(Long.fromString('18446744073709551615', true))).toBe('18446744073709551615');
    expect(messageIdText(Buffer.from([0xde, 0xad]))).toBe('binary:dead');
    expect(messageIdText(undefined)).toBeUndefined();
    expect(messageIdText('')).toBeUndefined();
    expect(messageIdText(4)).not.toBe(messageIdText(5));
  });
});
