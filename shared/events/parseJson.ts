import { ParseErrorCode, visit, type JSONPath } from 'jsonc-parser';
import { DEFAULT_MAX_EVENT_DEPTH } from './eventLimits';
import { formatJsonPath } from './formatJsonPath';

export type JsonParseResult =
  { ok: true; value: unknown } | { ok: false; message: string; offset: number; line: number; column: number };

export interface JsonParseLimits {
  /** Deepest nesting of objects/arrays accepted (the top-level value is level 1). */
  maxDepth?: number;
}

/**
 * Strict JSON parsing that cannot blow the stack and says WHERE the text is wrong.
 *
 * jsonc-parser's scanner visits the text first (comments and trailing commas off): it reports every syntax
 * error with its line and column, and its visitor enforces the depth limit WHILE scanning, so a body nested
 * 100,000 levels deep is rejected at level `maxDepth + 1` without recursing any further. The same pass rejects
 * what JSON.parse would silently accept but that changes or endangers the event: duplicate property names
 * (JSON.parse keeps the last one), `__proto__` keys (prototype pollution in consumers that merge objects),
 * numbers outside the double range (JSON.parse turns 1e400 into Infinity, re-serialised as null) and unpaired
 * surrogates (not Unicode; they become U+FFFD on the way to a job). Only a text that passed the scan, and is
 * therefore known to be shallow, is handed to JSON.parse to build the value (V8's parser, exact JSON semantics).
 */
export function parseJson(text: string, limits: JsonParseLimits = {}): JsonParseResult {
  if (/^[ \t\n\r]*$/.test(text)) return failure(at(0, 0, 0), 'empty input, expected a JSON value');
  const problem = scanJson(text, limits.maxDepth ?? DEFAULT_MAX_EVENT_DEPTH);
  if (problem) return failure(problem, problem.message);
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    // Not expected: the scan is at least as strict as JSON.parse. Kept so that a disagreement is still poison.
    return failure(at(0, 0, 0), `not valid JSON (${(err as Error).message})`);
  }
}

/** A position as jsonc-parser's callbacks give it (0-based offset, 1-based line and column here). */
interface Position {
  offset: number;
  line: number;
  column: number;
}

interface ScanProblem extends Position {
  message: string;
}

const at = (offset: number, startLine: number, startCharacter: number): Position => ({
  offset,
  line: startLine + 1,
  column: startCharacter + 1,
});

/** Thrown from visitor callbacks: jsonc-parser has no other way to stop a scan early. */
class StopScan extends Error {
  constructor(readonly problem: ScanProblem) {
    super(problem.message);
  }
}

function scanJson(text: string, maxDepth: number): ScanProblem | undefined {
  const containers: { kind: 'object' | 'array'; keys: Map<string, Position> }[] = [];
  let rootDone = false;
  let pendingSymbol: Position | undefined;
  let rootDoneAtSymbol = false;
  const found = (offset: number): string =>
    offset >= text.length ? 'end of input' : quoteChar(text, offset);
  const stop = (where: Position, message: string, path?: JSONPath): never => {
    const suffix = path && path.length > 0 ? ` (at ${formatJsonPath(path)})` : '';
    throw new StopScan({ ...where, message: message + suffix });
  };
  const begin =
    (kind: 'object' | 'array') =>
    (offset: number, _length: number, line: number, char: number, path: () => JSONPath): void => {
      if (containers.length >= maxDepth) {
        const level = containers.length + 1;
        stop(
          at(offset, line, char),
          `nesting level ${level} is deeper than the limit of ${maxDepth}`,
          path(),
        );
      }
      containers.push({ kind, keys: new Map() });
    };
  const end = (): void => {
    containers.pop();
    if (containers.length === 0) rootDone = true;
  };
  try {
    visit(
      text,
      {
        onObjectBegin: begin('object'),
        onArrayBegin: begin('array'),
        onObjectEnd: end,
        onArrayEnd: end,
        onObjectProperty(name, offset, _length, line, char, path) {
          const where = at(offset, line, char);
          const keys = containers[containers.length - 1]!.keys;
          const first = keys.get(name);
          if (first !== undefined) {
            const was = `first at line ${first.line}, column ${first.column}`;
            stop(where, `duplicate property ${JSON.stringify(name)} (${was})`, [...path(), name]);
          }
          keys.set(name, where);
          checkString(name, where, path);
          if (name === '__proto__') {
            stop(where, 'property name "__proto__" is not allowed (prototype pollution)', [...path(), name]);
          }
        },
        onLiteralValue(value: unknown, offset, length, line, char, path) {
          if (containers.length === 0) rootDone = true;
          if (typeof value === 'string') checkString(value, at(offset, line, char), path);
          else if (typeof value === 'number' && !Number.isFinite(value)) {
            const number = text.slice(offset, offset + Math.min(length, 40));
            stop(at(offset, line, char), `number ${number} is out of range`, path());
          }
        },
        onError(code, offset, length, line, char) {
          const where = at(offset, line, char);
          if (code === ParseErrorCode.InvalidSymbol) {
            // jsonc-parser reports the stray character first and what it expected there second: wait for that.
            if (pendingSymbol === undefined) {
              pendingSymbol = where;
              rootDoneAtSymbol = rootDone;
            }
            return;
          }
          const expected = expectation(code, containers[containers.length - 1]?.kind);
          if (pendingSymbol)
            stop(pendingSymbol, `unexpected ${found(pendingSymbol.offset)}${expected ?? ''}`);
          if (expected) stop(where, `unexpected ${found(where.offset)}${expected}`);
          const inToken = locateInToken(text, length, where, code);
          stop(inToken, inToken.message);
        },
      },
      { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
    );
  } catch (err) {
    if (err instanceof StopScan) return err.problem;
    throw err;
  }
  if (pendingSymbol !== undefined) {
    // The parser skipped the character and found nothing else wrong, so there is no expectation to quote.
    const where = rootDoneAtSymbol ? ' after the end of the JSON value' : '';
    return { ...pendingSymbol, message: `unexpected ${found(pendingSymbol.offset)}${where}` };
  }
  return undefined;

  function checkString(value: string, where: Position, path: () => JSONPath): void {
    // The plain class first: the look-around pattern is slow, and nearly every string has no surrogate at all.
    if (!/[\uD800-\uDFFF]/.test(value)) return;
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(value);
    if (lone) {
      const code = lone[0].charCodeAt(0).toString(16);
      stop(where, `string contains an unpaired surrogate \\u${code}, which is not valid Unicode`, path());
    }
  }
}

/** The character at `offset`, quoted, with invisible ones (BOM, NUL, NBSP, line separators) escaped. */
function quoteChar(text: string, offset: number): string {
  const char = String.fromCodePoint(text.codePointAt(offset)!);
  if (!/^[\p{C}\p{Z}]$/u.test(char) || char === ' ') return JSON.stringify(char);
  return `"\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}"`;
}

function expectation(code: ParseErrorCode, container: 'object' | 'array' | undefined): string | undefined {
  switch (code) {
    case ParseErrorCode.PropertyNameExpected:
      return ', expected a property name in double quotes';
    case ParseErrorCode.ValueExpected:
      return ', expected a JSON value';
    case ParseErrorCode.ColonExpected:
      return ", expected ':' after the property name";
    case ParseErrorCode.CommaExpected:
      return container === 'array' ? ", expected ',' or ']'" : ", expected ',' or '}'";
    case ParseErrorCode.CloseBraceExpected:
      return ", expected ',' or '}'";
    case ParseErrorCode.CloseBracketExpected:
      return ", expected ',' or ']'";
    case ParseErrorCode.EndOfFileExpected:
      return ' after the end of the JSON value';
    default:
      return undefined;
  }
}

/**
 * jsonc-parser reports errors inside a string or number token at the token's start. This walks that one token
 * to name the offending escape or character and point at it; the library has no finer position to give.
 */
function locateInToken(text: string, length: number, token: Position, code: ParseErrorCode): ScanProblem {
  const chars = text.slice(token.offset, token.offset + length);
  switch (code) {
    case ParseErrorCode.InvalidCommentToken:
      return { ...token, message: 'comments are not allowed in JSON' };
    case ParseErrorCode.UnexpectedEndOfString:
      return { ...token, message: 'unterminated string' };
    case ParseErrorCode.UnexpectedEndOfNumber:
    case ParseErrorCode.InvalidNumberFormat:
      return { ...token, message: `incomplete number ${JSON.stringify(chars.slice(0, 40))}` };
  }
  // A string token never spans lines, so the column moves with the offset.
  const inside = (i: number, message: string): ScanProblem => ({
    offset: token.offset + i,
    line: token.line,
    column: token.column + i,
    message,
  });
  for (let i = 1; i < chars.length; i++) {
    const ch = chars.charCodeAt(i);
    if (ch < 0x20) return inside(i, 'control character in string (escape it)');
    if (ch !== 0x5c) continue;
    const esc = chars[i + 1];
    if (esc === 'u') {
      if (!/^[0-9a-fA-F]{4}$/.test(chars.slice(i + 2, i + 6))) {
        return inside(i, 'bad \\u escape in string, expected 4 hex digits');
      }
      i += 5;
    } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i++;
    else return inside(i, `bad escape ${JSON.stringify(`\\${esc ?? ''}`)} in string`);
  }
  return { ...token, message: 'invalid string' };
}

function failure(where: Position, problem: string): JsonParseResult {
  const { offset, line, column } = where;
  return {
    ok: false,
    message: `invalid JSON at line ${line}, column ${column}: ${problem}`,
    offset,
    line,
    column,
  };
}
