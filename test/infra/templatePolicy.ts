import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { literalString, walkExpr, type Expr, type Statement } from './bicepSyntax';
import { bodyObject, findStatement, property, type BicepFile, type BicepProject } from './bicepProject';

// Helpers that read what the templates would deploy, for the infra policy tests.

export function projectFile(project: BicepProject, relPath: string): BicepFile {
  const file = [...project.files.values()].find((f) => f.relPath === relPath);
  if (!file) throw new Error(`${relPath} was not loaded (parse error or not referenced from main.bicep)`);
  return file;
}

/** Follows param defaults and vars to the expression they stand for. */
export function resolveValue(file: BicepFile, expr: Expr | undefined, depth = 0): Expr | undefined {
  if (!expr || depth > 20 || expr.kind !== 'ident') return expr;
  const param = findStatement(file, 'param', expr.name);
  if (param) return resolveValue(file, param.defaultValue, depth + 1);
  const variable = findStatement(file, 'var', expr.name);
  if (variable) return resolveValue(file, variable.value, depth + 1);
  return expr;
}

/** Every key an object-valued expression can have (unions, ternary branches and vars followed). */
export function objectEntries(file: BicepFile, expr: Expr | undefined): Map<string, Expr> {
  const entries = new Map<string, Expr>();
  const visit = (e: Expr | undefined): void => {
    const value = resolveValue(file, e);
    if (!value) return;
    if (value.kind === 'object') for (const p of value.props) entries.set(p.key, p.value);
    else if (value.kind === 'ternary') {
      visit(value.whenTrue);
      visit(value.whenFalse);
    } else if (value.kind === 'call' && value.callee.kind === 'ident' && value.callee.name === 'union') {
      value.args.forEach(visit);
    }
  };
  visit(expr);
  return entries;
}

export function moduleParams(file: BicepFile, moduleName: string): Map<string, Expr> {
  const module = findStatement(file, 'module', moduleName);
  if (!module) throw new Error(`${file.relPath} has no module '${moduleName}'`);
  const params = property(bodyObject(module.value), 'params');
  return new Map(params && params.kind === 'object' ? params.props.map((p) => [p.key, p.value]) : []);
}

export interface ResourceRef {
  file: BicepFile;
  statement: Extract<Statement, { kind: 'resource' }>;
  body: Extract<Expr, { kind: 'object' }>;
}

export function resourcesOfType(project: BicepProject, typePrefix: string): ResourceRef[] {
  const found: ResourceRef[] = [];
  for (const file of project.files.values()) {
    for (const s of file.statements) {
      if (s.kind !== 'resource' || s.type.split('@')[0] !== typePrefix) continue;
      const body = bodyObject(s.value);
      if (body) found.push({ file, statement: s, body });
    }
  }
  return found;
}

/** Names of the identifiers an expression mentions, e.g. to see what a principalId comes from. */
export function identifiersIn(expr: Expr): string[] {
  const names: string[] = [];
  walkExpr(expr, (e) => {
    if (e.kind === 'ident') names.push(e.name);
  });
  return names;
}

/** Source text of a simple expression, for assertions and messages. */
export function exprText(expr: Expr | undefined): string {
  if (!expr) return '<none>';
  switch (expr.kind) {
    case 'string':
      return `'${expr.parts.map((p) => (typeof p === 'string' ? p : `\${${exprText(p)}}`)).join('')}'`;
    case 'number':
      return String(expr.value);
    case 'bool':
      return String(expr.value);
    case 'null':
      return 'null';
    case 'ident':
      return expr.name;
    case 'member':
      return `${exprText(expr.object)}${expr.safe ? '.?' : '.'}${expr.name}`;
    case 'nonNull':
      return `${exprText(expr.operand)}!`;
    case 'call':
      return `${exprText(expr.callee)}(${expr.args.map(exprText).join(', ')})`;
    case 'index':
      return `${exprText(expr.object)}[${exprText(expr.index)}]`;
    case 'unary':
      return `${expr.op}${exprText(expr.operand)}`;
    case 'binary':
      return `${exprText(expr.left)} ${expr.op} ${exprText(expr.right)}`;
    case 'ternary':
      return `${exprText(expr.cond)} ? ${exprText(expr.whenTrue)} : ${exprText(expr.whenFalse)}`;
    default:
      return `<${expr.kind}>`;
  }
}

export function literalValue(file: BicepFile, expr: Expr | undefined): string | number | boolean | undefined {
  const value = resolveValue(file, expr);
  if (!value) return undefined;
  if (value.kind === 'bool' || value.kind === 'number') return value.value;
  return literalString(value);
}

/**
 * Settings docs/settings.md marks as required in Azure: rows whose "required" column is `yes`
 * or `yes in Azure`, plus the `infra` rows. Names are the backticked words of the first column.
 */
export function settingsContract(root: string): { required: string[]; documented: string[] } {
  const text = readFileSync(join(root, 'docs', 'settings.md'), 'utf8');
  const required: string[] = [];
  const documented: string[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]?.startsWith('`')) continue;
    const raw = [...(cells[1] ?? '').matchAll(/`([A-Za-z0-9_]+)`/g)].map((m) => m[1] as string);
    // `__clientId` after `ServiceBusConnection` means ServiceBusConnection__clientId.
    const base = raw.find((n) => !n.startsWith('__'))?.replace(/__.*$/, '') ?? '';
    const names = raw.map((n) => (n.startsWith('__') ? `${base}${n}` : n));
    documented.push(...names);
    const need = cells[2] ?? '';
    if (need === 'yes' || need === 'yes in Azure' || need === 'infra') required.push(...names);
  }
  return { required, documented };
}

/** Setting names the loader reads (`get('X')`) and those it requires in Azure (`requiredInAzure('X')`). */
export function loaderSettings(root: string): { read: string[]; requiredInAzure: string[] } {
  const source = readFileSync(join(root, 'shared', 'config', 'loadSettings.ts'), 'utf8');
  const names = (fn: string): string[] =>
    [...source.matchAll(new RegExp(`\\b${fn}\\('([A-Za-z0-9_]+)'`, 'g'))].map((m) => m[1] as string);
  const requiredInAzure = names('requiredInAzure');
  return { read: [...new Set([...names('get'), ...requiredInAzure])], requiredInAzure };
}
