// Parser for ARM template language expressions ("[concat('a', parameters('b')).c]"), the small
// documented grammar the Bicep compiler emits: function calls, string and number literals,
// `.property` and `[index]` access. The infra checks read the compiled ARM JSON with it.

export type ArmExpr =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: ArmExpr[] }
  | { kind: 'member'; object: ArmExpr; name: string }
  | { kind: 'index'; object: ArmExpr; index: ArmExpr };

/** True for a JSON string that ARM evaluates as an expression ("[...]" but not an escaped "[[..."). */
export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[');
}

/** Parses the text of an ARM expression string, with or without its enclosing brackets. */
export function parseArmExpression(text: string): ArmExpr {
  const source = isExpression(text) ? text.slice(1, -1) : text;
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`ARM expression: ${what} at offset ${pos} in ${source.slice(0, 120)}`);
  };
  const skipSpace = (): void => {
    while (pos < source.length && /\s/.test(source[pos] as string)) pos++;
  };
  const expect = (ch: string): void => {
    skipSpace();
    if (source[pos] !== ch) fail(`expected '${ch}'`);
    pos++;
  };

  const primary = (): ArmExpr => {
    skipSpace();
    const ch = source[pos];
    if (ch === "'") {
      let value = '';
      pos++;
      for (;;) {
        if (pos >= source.length) fail('unterminated string');
        if (source[pos] === "'") {
          if (source[pos + 1] === "'") {
            value += "'";
            pos += 2;
            continue;
          }
          pos++;
          return { kind: 'string', value };
        }
        value += source[pos++];
      }
    }
    const number = /^-?\d+(\.\d+)?/.exec(source.slice(pos));
    if (number) {
      pos += number[0].length;
      return { kind: 'number', value: Number(number[0]) };
    }
    const ident = /^[A-Za-z_][\w.]*?(?=\s*\()/.exec(source.slice(pos));
    if (!ident) return fail('expected a literal or a function call');
    pos += ident[0].length;
    expect('(');
    const args: ArmExpr[] = [];
    skipSpace();
    if (source[pos] === ')') pos++;
    else {
      for (;;) {
        args.push(expression());
        skipSpace();
        if (source[pos] === ',') pos++;
        else if (source[pos] === ')') {
          pos++;
          break;
        } else fail("expected ',' or ')'");
      }
    }
    return { kind: 'call', name: ident[0].toLowerCase(), args };
  };

  const expression = (): ArmExpr => {
    let expr = primary();
    for (;;) {
      skipSpace();
      if (source[pos] === '.') {
        pos++;
        const name = /^[\w$]+/.exec(source.slice(pos));
        if (!name) fail('expected a property name');
        pos += name![0].length;
        expr = { kind: 'member', object: expr, name: name![0] };
      } else if (source[pos] === '[') {
        pos++;
        const index = expression();
        expect(']');
        expr = { kind: 'index', object: expr, index };
      } else return expr;
    }
  };

  const result = expression();
  skipSpace();
  if (pos !== source.length) fail('unexpected trailing text');
  return result;
}

/** Every node of an expression, depth first. */
export function* walkArm(expr: ArmExpr): Generator<ArmExpr> {
  yield expr;
  if (expr.kind === 'call') for (const a of expr.args) yield* walkArm(a);
  else if (expr.kind === 'member') yield* walkArm(expr.object);
  else if (expr.kind === 'index') {
    yield* walkArm(expr.object);
    yield* walkArm(expr.index);
  }
}

/** `parameters('x')` -> 'x' (likewise for variables); undefined for anything else. */
export function referencedName(expr: ArmExpr, fn: 'parameters' | 'variables'): string | undefined {
  const [arg] = expr.kind === 'call' && expr.name === fn ? expr.args : [];
  return arg?.kind === 'string' ? arg.value : undefined;
}
