/**
 * One text for a Service Bus MessageId of any AMQP type: string, ulong (number, bigint or a Long), uuid or
 * binary (bytes). Strings and numbers read the same (`"123"` and `123`): the Functions worker JSON-parses a
 * numeric string id, so one message must map to one text however it was delivered. Bytes are hex with a
 * `binary:` prefix. Undefined for no id (or an empty one).
 */
export function messageIdText(messageId: unknown): string | undefined {
  if (messageId === undefined || messageId === null) return undefined;
  if (typeof messageId === 'string') return messageId === '' ? undefined : messageId;
  if (typeof messageId === 'number' || typeof messageId === 'bigint') return messageId.toString();
  if (messageId instanceof Uint8Array) {
    return `binary:${Buffer.from(messageId.buffer, messageId.byteOffset, messageId.byteLength).toString('hex')}`;
  }
  if (typeof messageId === 'object') {
    // long.js Long (what rhea decodes a ulong to) and UUID wrappers print their value with toString().
    const { toString } = messageId as { toString?: unknown };
    const text =
      typeof toString === 'function' && toString !== Object.prototype.toString
        ? String((toString as () => unknown).call(messageId))
        : '';
    if (text !== '') return text;
    return `json:${safeJson(messageId)}`;
  }
  return `${typeof messageId}:${typeof messageId === 'boolean' ? String(messageId) : 'value'}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '(unserialisable)';
  }
}
