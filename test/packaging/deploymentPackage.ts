import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ignore from 'ignore';

/*
 * What a deployment of the Function App carries, computed the way the tools compute it: every file of the project
 * folder that `.funcignore` (gitignore syntax, applied by `func azure functionapp publish` and azd) does not exclude,
 * plus the production dependencies (`npm ci --omit=dev` / `npm prune --production` before zipping).
 */

/** Folders never part of the package whatever `.funcignore` says (npm and git state). */
const ALWAYS_SKIPPED = new Set(['node_modules', '.git']);

/** Every file under `root` that `.funcignore` leaves in the package, as `/`-separated relative paths, sorted. */
export function packageFiles(root: string): string[] {
  const rules = ignore().add(readFileSync(join(root, '.funcignore'), 'utf8'));
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (ALWAYS_SKIPPED.has(entry.name)) continue;
      const path = join(dir, entry.name);
      const rel = relative(root, path).split(sep).join('/');
      if (entry.isDirectory()) walk(path);
      else if (!rules.ignores(rel)) {
        out.push(rel);
      }
    }
  };
  walk(root);
  return out.sort();
}

/** The app's entry and every compiled module it loads (relative requires, followed), plus the packages it requires. */
export function runtimeClosure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, spec] of source.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
      if (spec === undefined) continue;
      if (spec.startsWith('.')) {
        const base = resolve(dirname(file), spec);
        const target = [`${base}.js`, join(base, 'index.js'), base].find((c) => existsSync(c));
        if (!target) throw new Error(`${file}: cannot resolve require('${spec}')`);
        visit(target);
      } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
        packages.add(packageName(spec));
      }
    }
  };
  visit(resolve(entry));
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
export function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
