import { DISPATCH_PROPERTY_PREFIX } from '../../shared/signing/dispatchProperty';
import {
  MAX_COPIED_PROPERTIES,
  MAX_COPIED_PROPERTIES_BYTES,
  MAX_COPIED_PROPERTY_LENGTH,
} from '../../shared/naming/serviceBusLimits';

export interface CopyableProperties {
  properties: Record<string, string | number | boolean>;
  /** How many of the sender's own properties were left off (unsupported name or type, over a bound). */
  dropped: number;
}

const NAME = /^[A-Za-z0-9_.:$@-]{1,128}$/;

/**
 * The part of a rejected message's application properties its dead-letter copy keeps: plain names, values that
 * are strings (cut to MAX_COPIED_PROPERTY_LENGTH, control characters replaced), finite numbers or booleans,
 * within MAX_COPIED_PROPERTIES and MAX_COPIED_PROPERTIES_BYTES. The sender's `dispatch-*` properties are never
 * copied: the copy's own are the dispatcher's.
 */
export function copyableProperties(original: Readonly<Record<string, unknown>>): CopyableProperties {
  const properties: Record<string, string | number | boolean> = {};
  let dropped = 0;
  let bytes = 0;
  let kept = 0;
  for (const [name, value] of Object.entries(original ?? {})) {
    // Replaced, not lost: the copy's own dispatch-* properties are the dispatcher's.
    if (name.toLowerCase().startsWith(DISPATCH_PROPERTY_PREFIX)) continue;
    const copy = copyValue(value);
    const size = name.length + (typeof copy === 'string' ? Buffer.byteLength(copy, 'utf8') : 8);
    if (
      copy === undefined ||
      !NAME.test(name) ||
      kept >= MAX_COPIED_PROPERTIES ||
      bytes + size > MAX_COPIED_PROPERTIES_BYTES
    ) {
      dropped++;
      continue;
    }
    properties[name] = copy;
    bytes += size;
    kept++;
  }
  return { properties, dropped };
}

function copyValue(value: unknown): string | number | boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '\uFFFD');
  return clean.length <= MAX_COPIED_PROPERTY_LENGTH
    ? clean
    : `${clean.slice(0, MAX_COPIED_PROPERTY_LENGTH - 1)}…`;
}
