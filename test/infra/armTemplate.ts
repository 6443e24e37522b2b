import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isExpression, parseArmExpression, referencedName, type ArmExpr } from './armExpression';

// Reads what the Bicep compiler produced (dist/infra/main.json): nested module deployments are
// flattened into one list of resources, each with the template scope it lives in, so checks can
// follow a module parameter back to the value main.bicep passes and to its default.

export const repoRoot = resolve(__dirname, '..', '..');
const bicepCli = join(repoRoot, '.tools', 'bicep', 'bicep');

export interface ArmTemplate {
  parameters?: Record<string, { type: string; defaultValue?: unknown }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[] | Record<string, ArmResource>;
  outputs?: Record<string, { type: string; value: unknown }>;
}

export interface ArmResource {
  type: string;
  apiVersion: string;
  name: unknown;
  condition?: unknown;
  scope?: unknown;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One template (main or a module) and how its parameters were given by the deployment that holds it. */
export interface TemplateScope {
  path: string; // 'main', 'main/serviceBus', ...
  template: ArmTemplate;
  parent?: TemplateScope;
  /** The `properties.parameters` of the deployment resource that deploys this template. */
  passed: Record<string, { value?: unknown }>;
}

export interface LocatedResource {
  scope: TemplateScope;
  resource: ArmResource;
  where: string; // 'main/jobs: Microsoft.Authorization/roleDefinitions'
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * dist/infra/main.json as `npm run build:infra` wrote it; rebuilt first when missing or older than
 * anything under infra/, so the checks never read a stale compile.
 */
export function loadCompiledTemplate(): ArmTemplate {
  const out = join(repoRoot, 'dist', 'infra', 'main.json');
  if (!existsSync(out) || statSync(out).mtimeMs < newestMtime(join(repoRoot, 'infra'))) {
    const build = spawnSync('bash', [join(repoRoot, 'infra', 'scripts', 'build.sh')], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (build.status !== 0) {
      throw new Error(`npm run build:infra failed:\n${build.stdout}\n${build.stderr}`);
    }
  }
  return JSON.parse(readFileSync(out, 'utf8')) as ArmTemplate;
}

export interface Mutation {
  name: string;
  file: string; // relative to infra/
  from: string;
  to: string;
}

/**
 * Compiles a copy of infra/ once per mutation (one Bicep CLI process for all of them) and returns
 * each mutant's ARM JSON. A mutation whose text is not found fails loudly, so a template edit
 * cannot silently turn a mutation test into a no-op.
 */
export function compileMutants(mutations: Mutation[]): Map<string, ArmTemplate> {
  if (!existsSync(bicepCli)) throw new Error(`${bicepCli} is missing: run npm run build:infra first`);
  const dir = mkdtempSync(join(tmpdir(), 'infra-mutants-'));
  try {
    for (const m of mutations) {
      const infra = join(dir, m.name, 'infra');
      cpSync(join(repoRoot, 'infra'), infra, { recursive: true });
      const path = join(infra, m.file);
      const text = readFileSync(path, 'utf8');
      if (!text.includes(m.from))
        throw new Error(`mutation ${m.name}: '${m.from}' not found in infra/${m.file}`);
      writeFileSync(path, text.replace(m.from, m.to));
    }
    const build = spawnSync(bicepCli, ['build', '--pattern', join(dir, '*', 'infra', 'main.bicep')], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    const compiled = new Map<string, ArmTemplate>();
    for (const m of mutations) {
      const out = join(dir, m.name, 'infra', 'main.json');
      if (!existsSync(out)) {
        throw new Error(`mutation ${m.name} did not compile:\n${build.stdout}\n${build.stderr}`);
      }
      compiled.set(m.name, JSON.parse(readFileSync(out, 'utf8')) as ArmTemplate);
    }
    return compiled;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function resourceList(template: ArmTemplate): ArmResource[] {
  return Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
}

/** Every resource of the template and of its nested (module) deployments. */
export function allResources(template: ArmTemplate): LocatedResource[] {
  const found: LocatedResource[] = [];
  const visit = (scope: TemplateScope): void => {
    for (const resource of resourceList(scope.template)) {
      found.push({ scope, resource, where: `${scope.path}: ${resource.type}` });
      const nested = resource.properties?.template as ArmTemplate | undefined;
      if (resource.type === 'Microsoft.Resources/deployments' && nested) {
        visit({
          path: `${scope.path}/${String(resource.name)}`,
          template: nested,
          parent: scope,
          passed: (resource.properties?.parameters ?? {}) as TemplateScope['passed'],
        });
      }
    }
  };
  visit({ path: 'main', template, passed: {} });
  return found;
}

export function resourcesOfType(template: ArmTemplate, type: string): LocatedResource[] {
  return allResources(template).filter((r) => r.resource.type.toLowerCase() === type.toLowerCase());
}

export function moduleScope(template: ArmTemplate, name: string): TemplateScope {
  const deployment = allResources(template).find(
    (r) => r.resource.type === 'Microsoft.Resources/deployments' && r.resource.name === name,
  );
  if (!deployment) throw new Error(`the compiled template has no module deployment '${name}'`);
  return {
    path: `${deployment.scope.path}/${name}`,
    template: deployment.resource.properties!.template as ArmTemplate,
    parent: deployment.scope,
    passed: deployment.resource.properties!.parameters as TemplateScope['passed'],
  };
}

/**
 * The value a property will have, following `[parameters('x')]` to what the parent deployment
 * passes (or the parameter's default) and `[variables('x')]` to the variable. Anything computed
 * at deployment time stays an expression string.
 */
export function resolveValue(scope: TemplateScope, value: unknown, depth = 0): unknown {
  if (!isExpression(value) || depth > 20) return value;
  const expr = parseArmExpression(value);
  const param = referencedName(expr, 'parameters');
  if (param !== undefined) {
    const given = scope.passed[param];
    if (given && 'value' in given && scope.parent) return resolveValue(scope.parent, given.value, depth + 1);
    const declared = scope.template.parameters?.[param];
    if (!declared) throw new Error(`${scope.path} uses undeclared parameter '${param}'`);
    return resolveValue(scope, declared.defaultValue, depth + 1);
  }
  const variable = referencedName(expr, 'variables');
  if (variable !== undefined) return resolveValue(scope, scope.template.variables?.[variable], depth + 1);
  return value;
}

/** A nested property of a resource, resolved (`properties.x.y` as ['properties', 'x', 'y']). */
export function propertyOf(located: LocatedResource, ...path: string[]): unknown {
  let value: unknown = located.resource;
  for (const key of path) {
    value = resolveValue(located.scope, value);
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return resolveValue(located.scope, value);
}

/**
 * Evaluates what can be known before deployment (literals, parameter defaults, variables and the
 * pure functions below) for the default parameter values; undefined for anything computed in Azure.
 */
export function evaluate(scope: TemplateScope, value: unknown, depth = 0): unknown {
  if (depth > 30) return undefined;
  if (typeof value !== 'object' || value === null) {
    if (!isExpression(value)) return value;
    return evaluate(scope, parseArmExpression(value), depth + 1);
  }
  if (!('kind' in value)) return value; // a JSON object or array
  const e = value as ArmExpr;
  if (e.kind === 'string' || e.kind === 'number') return e.value;
  if (e.kind === 'member' || e.kind === 'index') {
    const object = evaluate(scope, e.object, depth + 1);
    const key = e.kind === 'member' ? e.name : evaluate(scope, e.index, depth + 1);
    if (!object || typeof object !== 'object' || (typeof key !== 'string' && typeof key !== 'number'))
      return undefined;
    return (object as Record<string, unknown>)[key];
  }
  const param = referencedName(e, 'parameters');
  const variable = referencedName(e, 'variables');
  if (param !== undefined || variable !== undefined) {
    const resolved = resolveValue(scope, `[${e.name}('${param ?? variable}')]`);
    if (!isExpression(resolved)) return resolved;
    // A parameter passed by the parent deployment is evaluated in the parent's scope.
    let owner: TemplateScope = scope;
    if (param !== undefined && scope.passed[param] && scope.parent) owner = scope.parent;
    return evaluate(owner, resolved, depth + 1);
  }
  const args = (): unknown[] => e.args.map((a) => evaluate(scope, a, depth + 1));
  switch (e.name) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'if': {
      const cond = evaluate(scope, e.args[0], depth + 1);
      return typeof cond === 'boolean' ? evaluate(scope, e.args[cond ? 1 : 2], depth + 1) : undefined;
    }
    case 'empty': {
      const [x] = args();
      if (x === undefined) return undefined;
      return (
        x === null ||
        x === '' ||
        (Array.isArray(x) ? x.length === 0 : typeof x === 'object' && Object.keys(x).length === 0)
      );
    }
    case 'not': {
      const [x] = args();
      return typeof x === 'boolean' ? !x : undefined;
    }
    case 'equals': {
      const [a, b] = args();
      return a === undefined || b === undefined ? undefined : a === b;
    }
    case 'and':
    case 'or': {
      const xs = args();
      if (xs.some((x) => typeof x !== 'boolean')) return undefined;
      return e.name === 'and' ? xs.every(Boolean) : xs.some(Boolean);
    }
    case 'string': {
      const [x] = args();
      return x === undefined ? undefined : typeof x === 'string' ? x : JSON.stringify(x);
    }
    case 'format': {
      const [fmt, ...rest] = args();
      if (typeof fmt !== 'string') return undefined;
      // Parts computed in Azure (a resource token, say) stay visible as <computed>.
      return fmt.replace(/\{(\d+)\}/g, (_, i: string) => text(rest[Number(i)]));
    }
    case 'subscriptionresourceid':
    case 'resourceid': {
      // Only the type and the names matter to the checks; the subscription is known in Azure only.
      const [type, ...names] = args();
      const prefix =
        e.name === 'resourceid'
          ? '/subscriptions/<computed>/resourceGroups/<computed>'
          : '/subscriptions/<computed>';
      return `${prefix}/providers/${text(type)}/${names.map(text).join('/')}`;
    }
    default:
      return undefined;
  }
}

/** A resource's JSON plus that of every template variable it mentions (for text checks). */
export function expandedText(located: LocatedResource): string {
  const seen = new Set<string>();
  let text = JSON.stringify(located.resource);
  for (let added = true; added;) {
    added = false;
    for (const m of text.matchAll(/variables\('([^']+)'\)/g)) {
      const name = m[1]!;
      if (seen.has(name)) continue;
      seen.add(name);
      text += `\n${name}: ${JSON.stringify(located.scope.template.variables?.[name])}`;
      added = true;
    }
  }
  return text;
}

/** A value evaluated to a scalar as text; anything else (computed in Azure, or structured) as <computed>. */
function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : '<computed>';
}
