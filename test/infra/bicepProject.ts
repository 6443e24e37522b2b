import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  BicepSyntaxError,
  literalString,
  parseBicep,
  walkExpr,
  type Expr,
  type Statement,
} from './bicepSyntax';

// Loads infra/main.bicep with every module it references and runs the offline checks that the
// Bicep CLI would otherwise do for this subset: syntax, symbol resolution, module parameter and
// output contracts, AVM-style descriptions, unused declarations, null-safe access of
// conditional resources. Diagnostics use the Bicep CLI's "file(line) : Error code: message" shape.

export interface BicepFile {
  path: string;
  relPath: string;
  statements: Statement[];
}

export interface Diagnostic {
  file: string;
  line: number;
  code: string;
  message: string;
}

export interface BicepProject {
  root: string;
  files: Map<string, BicepFile>;
  diagnostics: Diagnostic[];
}

// Bicep's built-in functions and namespaces (the subset worth accepting here).
const BUILTIN_FUNCTIONS = new Set([
  'any',
  'array',
  'base64',
  'bool',
  'concat',
  'contains',
  'dataUri',
  'empty',
  'endsWith',
  'environment',
  'filter',
  'first',
  'format',
  'guid',
  'indexOf',
  'int',
  'intersection',
  'items',
  'join',
  'json',
  'last',
  'lastIndexOf',
  'length',
  'loadFileAsBase64',
  'loadJsonContent',
  'loadTextContent',
  'managementGroup',
  'map',
  'max',
  'min',
  'newGuid',
  'padLeft',
  'range',
  'reduce',
  'replace',
  'resourceGroup',
  'resourceId',
  'skip',
  'sort',
  'split',
  'startsWith',
  'string',
  'subscription',
  'subscriptionResourceId',
  'substring',
  'take',
  'tenant',
  'tenantResourceId',
  'toLower',
  'toUpper',
  'trim',
  'union',
  'uniqueString',
  'uri',
  'uriComponent',
  'utcNow',
  'extensionResourceId',
  'managementGroupResourceId',
  'objectKeys',
]);
const BUILTIN_NAMESPACES = new Set(['az', 'sys']);
// Hosts that differ between Azure clouds (the Bicep linter's no-hardcoded-env-urls list, abridged).
const ENVIRONMENT_HOSTS = [
  'management.azure.com',
  'management.core.windows.net',
  'login.microsoftonline.com',
  'core.windows.net',
  'servicebus.windows.net',
  'vault.azure.net',
  'azurecr.io',
  'azurewebsites.net',
  'graph.windows.net',
];
const PARAM_TYPES = new Set(['string', 'int', 'bool', 'object', 'array']);
const RESOURCE_TYPE = /^[A-Za-z]+\.[A-Za-z]+\/[A-Za-z]+(\/[A-Za-z]+)*@\d{4}-\d{2}-\d{2}(-preview)?$/;
const API_VERSION_PROPERTY = new Set([
  'name',
  'location',
  'tags',
  'kind',
  'sku',
  'identity',
  'properties',
  'parent',
  'scope',
  'dependsOn',
  'zones',
  'extendedLocation',
  'plan',
]);

export function declaredName(statement: Statement): string | undefined {
  return statement.kind === 'targetScope' ? undefined : statement.name;
}

export function findStatement<K extends Statement['kind']>(
  file: BicepFile,
  kind: K,
  name: string,
): Extract<Statement, { kind: K }> | undefined {
  return file.statements.find(
    (s): s is Extract<Statement, { kind: K }> => s.kind === kind && declaredName(s) === name,
  );
}

/** The object a resource/module body declares, looking through `if (...)`. */
export function bodyObject(value: Expr): Extract<Expr, { kind: 'object' }> | undefined {
  if (value.kind === 'object') return value;
  if (value.kind === 'if') return bodyObject(value.body);
  if (value.kind === 'for') return bodyObject(value.body);
  return undefined;
}

export function property(obj: Expr | undefined, ...path: string[]): Expr | undefined {
  let current: Expr | undefined = obj;
  for (const key of path) {
    if (!current || current.kind !== 'object') return undefined;
    current = current.props.find((p) => p.key === key)?.value;
  }
  return current;
}

export function isConditional(statement: Statement): boolean {
  return (statement.kind === 'resource' || statement.kind === 'module') && statement.value.kind === 'if';
}

export function targetScopeOf(file: BicepFile): string {
  const scope = file.statements.find((s) => s.kind === 'targetScope');
  return scope ? (literalString(scope.value) ?? 'unknown') : 'resourceGroup';
}

function descriptionOf(statement: Statement): string | undefined {
  const decorator = statement.decorators.find((d) => d.name === 'description');
  return decorator ? literalString(decorator.args[0]) : undefined;
}

/** Parses infra/main.bicep and its module tree and collects diagnostics. */
export function loadBicepProject(root: string, entry = 'infra/main.bicep'): BicepProject {
  const files = new Map<string, BicepFile>();
  const diagnostics: Diagnostic[] = [];
  const queue = [resolve(root, entry)];
  while (queue.length > 0) {
    const path = queue.shift() as string;
    if (files.has(path)) continue;
    const relPath = relative(root, path);
    let statements: Statement[];
    try {
      statements = parseBicep(readFileSync(path, 'utf8'), relPath);
    } catch (error) {
      if (error instanceof BicepSyntaxError) {
        diagnostics.push({ file: relPath, line: error.line, code: 'BCP-syntax', message: error.message });
        continue;
      }
      throw error;
    }
    files.set(path, { path, relPath, statements });
    for (const s of statements) {
      if (s.kind === 'module') {
        const modulePath = resolve(dirname(path), s.path);
        if (!existsSync(modulePath)) {
          diagnostics.push({
            file: relPath,
            line: s.line,
            code: 'BCP091',
            message: `module '${s.name}': file '${s.path}' not found`,
          });
        } else {
          queue.push(modulePath);
        }
      }
    }
  }
  const project: BicepProject = { root, files, diagnostics };
  for (const file of files.values()) lintFile(project, file);
  return project;
}

export function moduleFile(
  project: BicepProject,
  from: BicepFile,
  statement: Extract<Statement, { kind: 'module' }>,
): BicepFile | undefined {
  return project.files.get(resolve(dirname(from.path), statement.path));
}

function lintFile(project: BicepProject, file: BicepFile): void {
  const report = (line: number, code: string, message: string): void => {
    project.diagnostics.push({ file: file.relPath, line, code, message });
  };
  const symbols = new Map<string, Statement>();
  for (const s of file.statements) {
    const name = declaredName(s);
    if (name === undefined || s.kind === 'output') continue;
    if (symbols.has(name)) report(s.line, 'BCP028', `identifier '${name}' is declared more than once`);
    symbols.set(name, s);
  }
  const referenced = new Set<string>();
  const isMain = file.relPath === join('infra', 'main.bicep');

  const checkExpr = (expr: Expr, line: number): void => {
    walkExpr(expr, (e, scope) => {
      if (e.kind === 'string') {
        for (const part of e.parts) {
          const host = typeof part === 'string' ? ENVIRONMENT_HOSTS.find((h) => part.includes(h)) : undefined;
          if (host)
            report(e.line || line, 'no-hardcoded-env-urls', `'${host}' is cloud-specific: use environment()`);
        }
      }
      if (e.kind === 'ident') {
        referenced.add(e.name);
        if (!symbols.has(e.name) && !scope.includes(e.name) && !BUILTIN_NAMESPACES.has(e.name)) {
          report(e.line || line, 'BCP057', `the name '${e.name}' does not exist in the current context`);
        }
      }
      if (e.kind === 'call' && e.callee.kind === 'ident') {
        const name = e.callee.name;
        if (!BUILTIN_FUNCTIONS.has(name))
          report(e.line || line, 'BCP082', `the name '${name}' is not a known function`);
      }
      // Module outputs must exist in the module; conditional modules/resources need '!' or '.?'.
      if (e.kind === 'member' && (e.name === 'outputs' || e.name === 'properties')) {
        const target = e.object.kind === 'nonNull' ? e.object.operand : e.object;
        if (target.kind === 'ident') {
          const declared = symbols.get(target.name);
          if (declared && isConditional(declared) && e.object.kind !== 'nonNull' && !e.safe) {
            report(
              e.line || line,
              'BCP318',
              `'${target.name}' is conditional and may be null: use '${target.name}!.${e.name}' or '.?'`,
            );
          }
        }
      }
    });
  };

  // Module output references: sym.outputs.NAME / sym!.outputs.NAME.
  const checkModuleOutputs = (expr: Expr): void => {
    walkExpr(expr, (e) => {
      if (e.kind !== 'member' || e.object.kind !== 'member' || e.object.name !== 'outputs') return;
      const holder = e.object.object.kind === 'nonNull' ? e.object.object.operand : e.object.object;
      if (holder.kind !== 'ident') return;
      const declared = symbols.get(holder.name);
      if (!declared || declared.kind !== 'module') return;
      const target = moduleFile(project, file, declared);
      if (target && !findStatement(target, 'output', e.name)) {
        report(e.line, 'BCP053', `module '${holder.name}' (${declared.path}) has no output '${e.name}'`);
      }
    });
  };

  for (const s of file.statements) {
    for (const d of s.decorators) d.args.forEach((a) => checkExpr(a, d.line));
    switch (s.kind) {
      case 'targetScope':
        break;
      case 'param': {
        if (!PARAM_TYPES.has(s.type))
          report(s.line, 'BCP302', `parameter '${s.name}': unknown type '${s.type}'`);
        if (s.defaultValue) checkExpr(s.defaultValue, s.line);
        const description = descriptionOf(s);
        const expected = s.defaultValue ? 'Optional.' : 'Required.';
        if (!description) report(s.line, 'AVM-description', `parameter '${s.name}' has no @description`);
        else if (!description.startsWith(expected)) {
          report(
            s.line,
            'AVM-description',
            `parameter '${s.name}': description must start with '${expected}'`,
          );
        }
        break;
      }
      case 'var':
        checkExpr(s.value, s.line);
        checkModuleOutputs(s.value);
        break;
      case 'output':
        checkExpr(s.value, s.line);
        checkModuleOutputs(s.value);
        if (!PARAM_TYPES.has(s.type))
          report(s.line, 'BCP302', `output '${s.name}': unknown type '${s.type}'`);
        if (isMain && !/^[A-Z][A-Z0-9_]*$/.test(s.name))
          report(s.line, 'azd-output', `output '${s.name}' of main.bicep must be UPPER_SNAKE`);
        if (!isMain && !descriptionOf(s))
          report(s.line, 'AVM-description', `output '${s.name}' has no @description`);
        break;
      case 'resource': {
        if (!RESOURCE_TYPE.test(s.type))
          report(s.line, 'BCP029', `resource '${s.name}': invalid type '${s.type}'`);
        checkExpr(s.value, s.line);
        checkModuleOutputs(s.value);
        const body = bodyObject(s.value);
        if (!body) {
          report(s.line, 'BCP018', `resource '${s.name}': expected an object body`);
          break;
        }
        for (const p of body.props) {
          if (!API_VERSION_PROPERTY.has(p.key))
            report(p.line, 'BCP037', `resource '${s.name}': unexpected top-level property '${p.key}'`);
        }
        if (!property(body, 'name')) report(s.line, 'BCP035', `resource '${s.name}' has no name`);
        const parent = property(body, 'parent');
        if (parent && !(parent.kind === 'ident' && symbols.get(parent.name)?.kind === 'resource')) {
          report(s.line, 'BCP240', `resource '${s.name}': parent must be a resource symbol`);
        }
        break;
      }
      case 'module': {
        checkExpr(s.value, s.line);
        checkModuleOutputs(s.value);
        const body = bodyObject(s.value);
        const target = moduleFile(project, file, s);
        if (!body || !target) break;
        const params = property(body, 'params');
        const passed = params && params.kind === 'object' ? params.props : [];
        for (const p of passed) {
          if (!findStatement(target, 'param', p.key)) {
            report(p.line, 'BCP037', `module '${s.name}': '${s.path}' has no parameter '${p.key}'`);
          }
        }
        for (const t of target.statements) {
          if (t.kind === 'param' && !t.defaultValue && !passed.some((p) => p.key === t.name)) {
            report(
              s.line,
              'BCP035',
              `module '${s.name}': required parameter '${t.name}' of '${s.path}' is not set`,
            );
          }
        }
        const moduleScope = property(body, 'scope');
        if (!moduleScope && targetScopeOf(file) !== targetScopeOf(target)) {
          report(
            s.line,
            'BCP134',
            `module '${s.name}': '${s.path}' targets '${targetScopeOf(target)}', set 'scope'`,
          );
        }
        break;
      }
    }
  }

  for (const [name, s] of symbols) {
    if (referenced.has(name)) continue;
    if (s.kind === 'param')
      report(s.line, 'no-unused-params', `parameter '${name}' is declared but never used`);
    if (s.kind === 'var') report(s.line, 'no-unused-vars', `variable '${name}' is declared but never used`);
    if (s.kind === 'resource' && s.existing)
      report(s.line, 'no-unused-existing-resources', `existing resource '${name}' is never used`);
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}(${d.line}) : Error ${d.code}: ${d.message}`;
}
