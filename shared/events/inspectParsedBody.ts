import { InvalidEventError } from '../errors/dispatchErrors';
import { describeValue } from './describeValue';
import { formatJsonPath } from './formatJsonPath';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Pending {
  value: unknown;
  depth: number;
  key: string | number | undefined;
  parent: Pending | undefined;
}

/**
 * The same limits as the JSON scan, for a body the Functions host has already JSON-parsed (V8's JSON.parse
 * does not recurse, so any depth arrives here). Walks iteratively with its own stack: this is what makes the
 * later JSON.stringify, structured clone and validation safe, so it must not recurse itself.
 */
export function inspectParsedBody(body: unknown, maxDepth: number): void {
  const stack: Pending[] = [{ value: body, depth: 0, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const { value } = item;
    const fail = (message: string): never => {
      const path = pathOf(item);
      throw new InvalidEventError(`body: ${message}${path ? ` (at ${path})` : ''}`, 'body');
    };
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value))
        fail('string contains an unpaired surrogate, which is not valid Unicode');
      continue;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) fail(`number ${value} is out of range`);
      continue;
    }
    // undefined: JSON.stringify drops it, as it was never in the JSON the host parsed.
    if (value === null || value === undefined || typeof value === 'boolean') continue;
    if (typeof value !== 'object' || !(Array.isArray(value) || isPlainObject(value))) {
      fail(`${describeValue(value)} is not a JSON value`);
    }
    const depth = item.depth + 1;
    if (depth > maxDepth) fail(`nesting level ${depth} is deeper than the limit of ${maxDepth}`);
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value);
    for (const [key, child] of entries) {
      if (key === '__proto__') {
        fail('property name "__proto__" is not allowed (prototype pollution)');
      }
      // A name is re-encoded as much as a value is (JSON text, the job's environment, the ledger).
      if (typeof key === 'string' && LONE_SURROGATE.test(key)) {
        fail(
          `property name ${JSON.stringify(key.slice(0, 40))} contains an unpaired surrogate, which is not valid Unicode`,
        );
      }
      stack.push({ value: child, depth, key, parent: item });
    }
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function pathOf(item: Pending): string {
  const keys: (string | number)[] = [];
  for (let at: Pending | undefined = item; at?.key !== undefined; at = at.parent) keys.push(at.key);
  return formatJsonPath(keys.reverse());
}
