// A parser for the subset of Bicep that infra/ uses. It exists because the Bicep CLI cannot be
// restored on this machine (its NuGet packages are not served here): it lets the infra checks
// read declarations, decorators and expressions exactly instead of grepping text. It is NOT a
// compiler: it knows nothing about resource type schemas. When .tools/bicep/bicep exists,
// infra/scripts/build.sh compiles and lints with the real CLI as well.

export type Expr =
  | { kind: 'string'; parts: (string | Expr)[]; line: number }
  | { kind: 'number'; value: number; line: number }
  | { kind: 'bool'; value: boolean; line: number }
  | { kind: 'null'; line: number }
  | { kind: 'ident'; name: string; line: number }
  | { kind: 'call'; callee: Expr; args: Expr[]; line: number }
  | { kind: 'member'; object: Expr; name: string; safe: boolean; line: number }
  | { kind: 'index'; object: Expr; index: Expr; line: number }
  | { kind: 'nonNull'; operand: Expr; line: number }
  | { kind: 'unary'; op: string; operand: Expr; line: number }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; line: number }
  | { kind: 'ternary'; cond: Expr; whenTrue: Expr; whenFalse: Expr; line: number }
  | { kind: 'object'; props: ObjectProperty[]; line: number }
  | { kind: 'array'; items: Expr[]; line: number }
  | { kind: 'for'; itemVar: string; indexVar?: string; iterable: Expr; body: Expr; line: number }
  | { kind: 'if'; cond: Expr; body: Expr; line: number };

export interface ObjectProperty {
  key: string;
  // Set when the key is an interpolated string such as '${identityResourceId}'.
  keyExpr?: Expr;
  value: Expr;
  line: number;
}

export interface Decorator {
  name: string;
  args: Expr[];
  line: number;
}

export type Statement =
  | { kind: 'targetScope'; value: Expr; line: number; decorators: Decorator[] }
  | { kind: 'param'; name: string; type: string; defaultValue?: Expr; line: number; decorators: Decorator[] }
  | { kind: 'var'; name: string; value: Expr; line: number; decorators: Decorator[] }
  | {
      kind: 'resource';
      name: string;
      type: string;
      existing: boolean;
      value: Expr;
      line: number;
      decorators: Decorator[];
    }
  | { kind: 'module'; name: string; path: string; value: Expr; line: number; decorators: Decorator[] }
  | { kind: 'output'; name: string; type: string; value: Expr; line: number; decorators: Decorator[] };

export class BicepSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}(${line}): ${detail}`);
    this.name = 'BicepSyntaxError';
  }
}

type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'newline' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  // Interpolated string pieces: literal text or the source of an expression.
  pieces?: { literal: boolean; text: string; line: number }[];
}

const PUNCTUATION = [
  '??',
  '.?',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '=>',
  '::',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ',',
  ':',
  '.',
  '?',
  '!',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '@',
];

function tokenize(source: string, file: string, firstLine = 1): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = firstLine;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\n') {
      tokens.push({ kind: 'newline', text: '\n', line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new BicepSyntaxError(file, line, 'unterminated block comment');
      for (const ch of source.slice(i, end)) if (ch === '\n') line++;
      i = end + 2;
    } else if (source.startsWith("'''", i)) {
      const end = source.indexOf("'''", i + 3);
      if (end < 0) throw new BicepSyntaxError(file, line, 'unterminated multi-line string');
      const text = source.slice(i + 3, end);
      tokens.push({ kind: 'string', text, line, pieces: [{ literal: true, text, line }] });
      for (const ch of text) if (ch === '\n') line++;
      i = end + 3;
    } else if (c === "'") {
      const startLine = line;
      const pieces: { literal: boolean; text: string; line: number }[] = [];
      let literal = '';
      i++;
      for (;;) {
        if (i >= source.length || source[i] === '\n') {
          throw new BicepSyntaxError(file, startLine, 'unterminated string');
        }
        const ch = source[i] as string;
        if (ch === "'") {
          i++;
          break;
        }
        if (ch === '\\') {
          const next = source[i + 1];
          const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", $: '$' };
          if (next === undefined || escapes[next] === undefined) {
            throw new BicepSyntaxError(file, line, `invalid escape sequence \\${next ?? ''}`);
          }
          literal += escapes[next];
          i += 2;
        } else if (ch === '$' && source[i + 1] === '{') {
          pieces.push({ literal: true, text: literal, line });
          literal = '';
          let depth = 1;
          let j = i + 2;
          let inString = false;
          while (j < source.length && depth > 0) {
            const cj = source[j];
            if (cj === '\n') throw new BicepSyntaxError(file, line, 'line break inside string interpolation');
            if (inString) {
              if (cj === '\\') j++;
              else if (cj === "'") inString = false;
            } else if (cj === "'") inString = true;
            else if (cj === '{') depth++;
            else if (cj === '}') depth--;
            j++;
          }
          if (depth > 0) throw new BicepSyntaxError(file, line, 'unterminated string interpolation');
          pieces.push({ literal: false, text: source.slice(i + 2, j - 1), line });
          i = j;
        } else {
          literal += ch;
          i++;
        }
      }
      pieces.push({ literal: true, text: literal, line: startLine });
      tokens.push({
        kind: 'string',
        text: pieces.map((p) => (p.literal ? p.text : `\${${p.text}}`)).join(''),
        line: startLine,
        pieces,
      });
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < source.length && /[0-9]/.test(source[j] as string)) j++;
      tokens.push({ kind: 'number', text: source.slice(i, j), line });
      i = j;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < source.length && /[A-Za-z0-9_]/.test(source[j] as string)) j++;
      tokens.push({ kind: 'ident', text: source.slice(i, j), line });
      i = j;
    } else {
      const punct = PUNCTUATION.find((p) => source.startsWith(p, i));
      if (!punct) throw new BicepSyntaxError(file, line, `unexpected character '${c}'`);
      tokens.push({ kind: 'punct', text: punct, line });
      i += punct.length;
    }
  }
  tokens.push({ kind: 'eof', text: '<end of file>', line });
  return tokens;
}

const BINARY_PRECEDENCE: Record<string, number> = {
  '??': 1,
  '||': 2,
  '&&': 3,
  '==': 4,
  '!=': 4,
  '<': 5,
  '>': 5,
  '<=': 5,
  '>=': 5,
  '+': 6,
  '-': 6,
  '*': 7,
  '/': 7,
  '%': 7,
};

class Parser {
  private pos = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.pos++;
    return token;
  }

  private fail(token: Token, expected: string): never {
    throw new BicepSyntaxError(
      this.file,
      token.line,
      `expected ${expected}, found '${token.text === '\n' ? '<newline>' : token.text}'`,
    );
  }

  private isPunct(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'punct' && token.text === text;
  }

  private expectPunct(text: string): Token {
    const token = this.next();
    if (token.kind !== 'punct' || token.text !== text) this.fail(token, `'${text}'`);
    return token;
  }

  private expectIdent(expected = 'an identifier'): Token {
    const token = this.next();
    if (token.kind !== 'ident') this.fail(token, expected);
    return token;
  }

  private skipNewlines(): void {
    while (this.peek().kind === 'newline') this.pos++;
  }

  // A binary operator or '?' on the next line continues the expression.
  private peekPastNewlines(): Token {
    let offset = 0;
    while (this.peek(offset).kind === 'newline') offset++;
    return this.peek(offset);
  }

  parseProgram(): Statement[] {
    const statements: Statement[] = [];
    this.skipNewlines();
    while (this.peek().kind !== 'eof') {
      const decorators = this.parseDecorators();
      statements.push(this.parseStatement(decorators));
      const end = this.peek();
      if (end.kind !== 'newline' && end.kind !== 'eof') this.fail(end, 'a line break after the declaration');
      this.skipNewlines();
    }
    return statements;
  }

  private parseDecorators(): Decorator[] {
    const decorators: Decorator[] = [];
    while (this.isPunct('@')) {
      const at = this.next();
      const name = this.expectIdent('a decorator name').text;
      this.expectPunct('(');
      const args = this.parseArguments(')');
      decorators.push({ name, args, line: at.line });
      this.skipNewlines();
    }
    return decorators;
  }

  private parseStatement(decorators: Decorator[]): Statement {
    const keyword = this.expectIdent('a declaration keyword');
    const line = keyword.line;
    switch (keyword.text) {
      case 'targetScope': {
        this.expectPunct('=');
        return { kind: 'targetScope', value: this.parseExpression(), line, decorators };
      }
      case 'param': {
        const name = this.expectIdent('a parameter name').text;
        const type = this.expectIdent('a parameter type').text;
        let defaultValue: Expr | undefined;
        if (this.isPunct('=')) {
          this.next();
          defaultValue = this.parseExpression();
        }
        return { kind: 'param', name, type, defaultValue, line, decorators };
      }
      case 'var': {
        const name = this.expectIdent('a variable name').text;
        this.expectPunct('=');
        return { kind: 'var', name, value: this.parseExpression(), line, decorators };
      }
      case 'resource': {
        const name = this.expectIdent('a resource symbol').text;
        const typeToken = this.next();
        if (typeToken.kind !== 'string')
          this.fail(typeToken, "a resource type string 'Provider/type@version'");
        let existing = false;
        if (this.peek().kind === 'ident' && this.peek().text === 'existing') {
          this.next();
          existing = true;
        }
        this.expectPunct('=');
        return {
          kind: 'resource',
          name,
          type: typeToken.text,
          existing,
          value: this.parseBody(),
          line,
          decorators,
        };
      }
      case 'module': {
        const name = this.expectIdent('a module symbol').text;
        const pathToken = this.next();
        if (pathToken.kind !== 'string') this.fail(pathToken, 'a module path string');
        this.expectPunct('=');
        return { kind: 'module', name, path: pathToken.text, value: this.parseBody(), line, decorators };
      }
      case 'output': {
        const name = this.expectIdent('an output name').text;
        const type = this.expectIdent('an output type').text;
        this.expectPunct('=');
        return { kind: 'output', name, type, value: this.parseExpression(), line, decorators };
      }
      default:
        return this.fail(keyword, 'targetScope, param, var, resource, module or output');
    }
  }

  // Body of a resource or module: an object, `if (cond) {...}` or `[for ...]`.
  private parseBody(): Expr {
    const token = this.peek();
    if (token.kind === 'ident' && token.text === 'if') return this.parseIf();
    if (this.isPunct('{') || this.isPunct('[')) return this.parsePrimary();
    return this.fail(token, "'{', 'if' or '[for'");
  }

  private parseIf(): Expr {
    const line = this.next().line;
    this.expectPunct('(');
    this.skipNewlines();
    const cond = this.parseExpression();
    this.skipNewlines();
    this.expectPunct(')');
    if (!this.isPunct('{')) this.fail(this.peek(), "'{' after the condition");
    return { kind: 'if', cond, body: this.parsePrimary(), line };
  }

  parseExpression(): Expr {
    const cond = this.parseBinary(1);
    const after = this.peekPastNewlines();
    if (after.kind === 'punct' && after.text === '?') {
      this.skipNewlines();
      this.next();
      this.skipNewlines();
      const whenTrue = this.parseExpression();
      this.skipNewlines();
      this.expectPunct(':');
      this.skipNewlines();
      const whenFalse = this.parseExpression();
      return { kind: 'ternary', cond, whenTrue, whenFalse, line: cond.line };
    }
    return cond;
  }

  private parseBinary(minPrecedence: number): Expr {
    let left = this.parseUnary();
    for (;;) {
      const after = this.peekPastNewlines();
      const precedence = after.kind === 'punct' ? BINARY_PRECEDENCE[after.text] : undefined;
      if (precedence === undefined || precedence < minPrecedence) return left;
      this.skipNewlines();
      const op = this.next().text;
      this.skipNewlines();
      const right = this.parseBinary(precedence + 1);
      left = { kind: 'binary', op, left, right, line: left.line };
    }
  }

  private parseUnary(): Expr {
    if (this.isPunct('!') || this.isPunct('-')) {
      const op = this.next();
      return { kind: 'unary', op: op.text, operand: this.parseUnary(), line: op.line };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(initial: Expr): Expr {
    let expr = initial;
    for (;;) {
      if (this.isPunct('.') || this.isPunct('.?')) {
        const safe = this.next().text === '.?';
        const name = this.expectIdent('a property name').text;
        expr = { kind: 'member', object: expr, name, safe, line: expr.line };
      } else if (this.isPunct('!') && (this.isPunct('.', 1) || this.isPunct('[', 1))) {
        this.next();
        expr = { kind: 'nonNull', operand: expr, line: expr.line };
      } else if (this.isPunct('[')) {
        this.next();
        const index = this.parseExpression();
        this.expectPunct(']');
        expr = { kind: 'index', object: expr, index, line: expr.line };
      } else if (this.isPunct('(') && expr.kind === 'member') {
        this.next();
        expr = { kind: 'call', callee: expr, args: this.parseArguments(')'), line: expr.line };
      } else {
        return expr;
      }
    }
  }

  private parseArguments(close: string): Expr[] {
    const args: Expr[] = [];
    this.skipNewlines();
    while (!this.isPunct(close)) {
      args.push(this.parseExpression());
      this.skipNewlines();
      if (this.isPunct(',')) {
        this.next();
        this.skipNewlines();
      } else if (!this.isPunct(close)) {
        this.fail(this.peek(), `',' or '${close}'`);
      }
    }
    this.next();
    return args;
  }

  private parsePrimary(): Expr {
    const token = this.next();
    const line = token.line;
    switch (token.kind) {
      case 'number':
        return { kind: 'number', value: Number(token.text), line };
      case 'string':
        return { kind: 'string', parts: this.stringParts(token), line };
      case 'ident': {
        if (token.text === 'true' || token.text === 'false')
          return { kind: 'bool', value: token.text === 'true', line };
        if (token.text === 'null') return { kind: 'null', line };
        const ident: Expr = { kind: 'ident', name: token.text, line };
        if (this.isPunct('(')) {
          this.next();
          return { kind: 'call', callee: ident, args: this.parseArguments(')'), line };
        }
        return ident;
      }
      case 'punct':
        if (token.text === '(') {
          this.skipNewlines();
          const inner = this.parseExpression();
          this.skipNewlines();
          this.expectPunct(')');
          return inner;
        }
        if (token.text === '{') return this.parseObject(line);
        if (token.text === '[') return this.parseArray(line);
        return this.fail(token, 'an expression');
      default:
        return this.fail(token, 'an expression');
    }
  }

  private stringParts(token: Token): (string | Expr)[] {
    return (token.pieces ?? []).flatMap((piece): (string | Expr)[] => {
      if (piece.literal) return piece.text === '' ? [] : [piece.text];
      const inner = new Parser(tokenize(piece.text, this.file, piece.line), this.file);
      const expr = inner.parseExpression();
      if (inner.peek().kind !== 'eof') inner.fail(inner.peek(), "'}' closing the interpolation");
      return [expr];
    });
  }

  private parseObject(line: number): Expr {
    const props: ObjectProperty[] = [];
    this.skipNewlines();
    while (!this.isPunct('}')) {
      const keyToken = this.next();
      if (keyToken.kind !== 'ident' && keyToken.kind !== 'string') this.fail(keyToken, 'a property name');
      const keyExpr: Expr | undefined =
        keyToken.kind === 'string' && (keyToken.pieces ?? []).some((p) => !p.literal)
          ? { kind: 'string', parts: this.stringParts(keyToken), line: keyToken.line }
          : undefined;
      this.expectPunct(':');
      const value = this.parseExpression();
      props.push({ key: keyToken.text, keyExpr, value, line: keyToken.line });
      const sep = this.peek();
      if (sep.kind === 'newline' || (sep.kind === 'punct' && sep.text === ',')) {
        this.next();
        this.skipNewlines();
      } else if (!this.isPunct('}')) {
        this.fail(sep, "a line break or '}' after the property");
      }
    }
    this.next();
    return { kind: 'object', props, line };
  }

  private parseArray(line: number): Expr {
    const first = this.peekPastNewlines();
    if (first.kind === 'ident' && first.text === 'for') {
      this.skipNewlines();
      return this.parseFor(line);
    }
    const items: Expr[] = [];
    this.skipNewlines();
    while (!this.isPunct(']')) {
      items.push(this.parseExpression());
      const sep = this.peek();
      if (sep.kind === 'newline' || (sep.kind === 'punct' && sep.text === ',')) {
        this.next();
        this.skipNewlines();
      } else if (!this.isPunct(']')) {
        this.fail(sep, "a line break, ',' or ']' after the item");
      }
    }
    this.next();
    return { kind: 'array', items, line };
  }

  private parseFor(line: number): Expr {
    this.next();
    let itemVar: string;
    let indexVar: string | undefined;
    if (this.isPunct('(')) {
      this.next();
      itemVar = this.expectIdent('a loop variable').text;
      this.expectPunct(',');
      indexVar = this.expectIdent('a loop index variable').text;
      this.expectPunct(')');
    } else {
      itemVar = this.expectIdent('a loop variable').text;
    }
    const inToken = this.expectIdent("'in'");
    if (inToken.text !== 'in') this.fail(inToken, "'in'");
    const iterable = this.parseExpression();
    this.expectPunct(':');
    this.skipNewlines();
    const bodyStart = this.peek();
    const body =
      bodyStart.kind === 'ident' && bodyStart.text === 'if' ? this.parseIf() : this.parseExpression();
    this.skipNewlines();
    this.expectPunct(']');
    return { kind: 'for', itemVar, indexVar, iterable, body, line };
  }
}

/** Parses one Bicep file of the supported subset; throws BicepSyntaxError with file and line. */
export function parseBicep(source: string, file: string): Statement[] {
  return new Parser(tokenize(source, file), file).parseProgram();
}

/** The literal text of a string expression without interpolation, else undefined. */
export function literalString(expr: Expr | undefined): string | undefined {
  if (!expr || expr.kind !== 'string') return undefined;
  if (expr.parts.length === 0) return '';
  return expr.parts.every((p) => typeof p === 'string') ? expr.parts.join('') : undefined;
}

/** Calls `visit` on the expression and every expression nested in it. */
export function walkExpr(
  expr: Expr,
  visit: (e: Expr, scope: readonly string[]) => void,
  scope: readonly string[] = [],
): void {
  visit(expr, scope);
  const walk = (e: Expr, s: readonly string[] = scope): void => walkExpr(e, visit, s);
  switch (expr.kind) {
    case 'string':
      for (const part of expr.parts) if (typeof part !== 'string') walk(part);
      break;
    case 'call':
      // A plain function name is not a symbol reference.
      if (expr.callee.kind !== 'ident') walk(expr.callee);
      expr.args.forEach((a) => walk(a));
      break;
    case 'member':
      walk(expr.object);
      break;
    case 'index':
      walk(expr.object);
      walk(expr.index);
      break;
    case 'nonNull':
    case 'unary':
      walk(expr.operand);
      break;
    case 'binary':
      walk(expr.left);
      walk(expr.right);
      break;
    case 'ternary':
      walk(expr.cond);
      walk(expr.whenTrue);
      walk(expr.whenFalse);
      break;
    case 'object':
      for (const p of expr.props) {
        if (p.keyExpr) walk(p.keyExpr);
        walk(p.value);
      }
      break;
    case 'array':
      expr.items.forEach((i) => walk(i));
      break;
    case 'for': {
      walk(expr.iterable);
      const inner = [...scope, expr.itemVar, ...(expr.indexVar ? [expr.indexVar] : [])];
      walk(expr.body, inner);
      break;
    }
    case 'if':
      walk(expr.cond);
      walk(expr.body);
      break;
    default:
      break;
  }
}
