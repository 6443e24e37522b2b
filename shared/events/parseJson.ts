/**
 * JSON.parse with an error that says WHERE the text is wrong. Node 20's messages do not always carry a
 * position (`Unexpected token 'x', "x" is not valid JSON`), so on failure a small scanner walks the text to
 * find the first offending character and reports it as line/column (1-based) and offset (0-based).
 */

export type JsonParseResult =
  { ok: true; value: unknown } | { ok: false; message: string; offset: number; line: number; column: number };

export function parseJson(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const { offset, problem } = locateJsonError(text);
    const { line, column } = lineAndColumn(text, offset);
    return {
      ok: false,
      message: `invalid JSON at line ${line}, column ${column}: ${problem}`,
      offset,
      line,
      column,
    };
  }
}

class ScanError extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

function locateJsonError(text: string): { offset: number; problem: string } {
  let i = 0;
  const peek = (): string | undefined => text[i];
  const fail = (problem: string): never => {
    throw new ScanError(i, problem);
  };
  const found = (): string => (i >= text.length ? 'end of input' : `${JSON.stringify(text[i])}`);
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`unexpected ${found()}, expected a JSON value`);
  };
  const string = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '"') {
        i++;
        return;
      }
      if (ch === '\\') {
        const esc = text[i + 1];
        if (esc === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            fail('bad \\u escape in string, expected 4 hex digits');
          }
          i += 6;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) {
          i += 2;
        } else {
          i++;
          fail(`bad escape ${esc === undefined ? 'at end of input' : JSON.stringify(`\\${esc}`)} in string`);
        }
        continue;
      }
      if (ch.charCodeAt(0) < 0x20) fail('control character in string (escape it)');
      i++;
    }
    fail('unterminated string');
  };
  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === '-') fail(`unexpected ${found()}, expected a JSON value`);
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const ch = peek();
    if (ch === '{') return object();
    if (ch === '[') return array();
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return number();
    fail(`unexpected ${found()}, expected a JSON value`);
  };
  const object = (): void => {
    i++;
    ws();
    if (peek() === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (peek() !== '"') fail(`unexpected ${found()}, expected a property name in double quotes`);
      string();
      ws();
      if (peek() !== ':') fail(`unexpected ${found()}, expected ':' after the property name`);
      i++;
      value();
      ws();
      if (peek() === ',') {
        i++;
        continue;
      }
      if (peek() === '}') {
        i++;
        return;
      }
      fail(`unexpected ${found()}, expected ',' or '}'`);
    }
  };
  const array = (): void => {
    i++;
    ws();
    if (peek() === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      ws();
      if (peek() === ',') {
        i++;
        continue;
      }
      if (peek() === ']') {
        i++;
        return;
      }
      fail(`unexpected ${found()}, expected ',' or ']'`);
    }
  };
  try {
    if (text.trim() === '') return { offset: 0, problem: 'empty input, expected a JSON value' };
    value();
    ws();
    if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
    // JSON.parse rejected something the scanner accepts (should not happen): fall back to the start.
    return { offset: 0, problem: 'not valid JSON' };
  } catch (err) {
    if (err instanceof ScanError) return { offset: err.offset, problem: err.problem };
    // Pathologically deep nesting exhausts the stack before the error is found.
    if (err instanceof RangeError)
      return { offset: 0, problem: 'not valid JSON (nested too deeply to locate the error)' };
    throw err;
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
