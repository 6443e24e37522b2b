import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Expands `{a,b}` alternatives (one level, as package.json `main` globs use them). */
function expandBraces(pattern: string): string[] {
  const match = /\{([^{}]*)\}/.exec(pattern);
  if (!match) return [pattern];
  const [whole, inner = ''] = match;
  return inner.split(',').flatMap((alt) => expandBraces(pattern.replace(whole, alt)));
}

function globToRegExp(segment: string): RegExp {
  const escaped = segment
    .replace(/[.+^$()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${escaped}$`);
}

/** Matches a relative glob (`*`, `?`, `{a,b}`; no `**`) against the files under `root`, sorted. */
export function expandGlob(root: string, pattern: string): string[] {
  const out = new Set<string>();
  for (const alternative of expandBraces(pattern)) {
    const segments = alternative.split('/').filter((s) => s !== '' && s !== '.');
    let dirs = [resolve(root)];
    segments.forEach((segment, index) => {
      const last = index === segments.length - 1;
      const next: string[] = [];
      for (const dir of dirs) {
        if (!/[*?]/.test(segment)) {
          const candidate = join(dir, segment);
          if (existsSync(candidate)) next.push(candidate);
          continue;
        }
        if (!existsSync(dir)) continue;
        const re = globToRegExp(segment);
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          if (re.test(entry.name) && (last ? entry.isFile() : entry.isDirectory()))
            next.push(join(dir, entry.name));
        }
      }
      dirs = next;
    });
    for (const file of dirs) out.add(file);
  }
  return [...out].sort();
}

/**
 * The app's entry files as the Node worker finds them: package.json `main` (a file or a glob), relative to
 * the app root. A `main` that matches nothing is an error (the real worker fails the same way).
 */
export function findAppFiles(appRoot: string): string[] {
  const pkgPath = join(appRoot, 'package.json');
  let main: unknown;
  try {
    main = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { main?: unknown }).main;
  } catch (err) {
    throw new Error(`${pkgPath}: cannot read the app's package.json: ${(err as Error).message}`);
  }
  if (typeof main !== 'string' || main.trim() === '') {
    throw new Error(
      `${pkgPath}: "main" must name the app's entry file or a glob such as dist/functions/*.js`,
    );
  }
  const files = expandGlob(appRoot, main);
  if (files.length === 0) {
    throw new Error(
      `${pkgPath}: "main" (${main}) matches no files under ${appRoot}. Run "npm run build" first.`,
    );
  }
  return files;
}
