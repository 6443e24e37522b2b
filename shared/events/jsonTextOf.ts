type Frame = { kind: 'text'; text: string } | { kind: 'value'; value: unknown };

/**
 * JSON text of a value the Functions host already JSON-parsed, at any nesting depth. JSON.stringify recurses
 * and throws RangeError on a few thousand levels; this keeps its own stack, so even a hostile body that the
 * limits rejected can be written to its dead-letter copy. Values JSON has no text for (undefined, functions)
 * are written as null, which cannot occur in what JSON.parse produced.
 */
export function jsonTextOf(value: unknown): string {
  const out: string[] = [];
  const stack: Frame[] = [{ kind: 'value', value }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.kind === 'text') {
      out.push(frame.text);
      continue;
    }
    const v = frame.value;
    if (Array.isArray(v)) {
      stack.push({ kind: 'text', text: ']' });
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ kind: 'value', value: v[i] as unknown });
        if (i > 0) stack.push({ kind: 'text', text: ',' });
      }
      out.push('[');
    } else if (typeof v === 'object' && v !== null && !(v instanceof Date)) {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, inner]) => inner !== undefined);
      stack.push({ kind: 'text', text: '}' });
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i]!;
        stack.push({ kind: 'value', value: inner });
        stack.push({ kind: 'text', text: `${i > 0 ? ',' : ''}${JSON.stringify(key)}:` });
      }
      out.push('{');
    } else {
      out.push(JSON.stringify(v) ?? 'null');
    }
  }
  return out.join('');
}
