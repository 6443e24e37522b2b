import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { packageFiles, runtimeClosure } from './deploymentPackage';

/*
 * Only the product ships: the compiled app (functions, orchestrations, adapters, shared) and its runtime
 * dependencies. The offline stack, the CLI, the bench, tests, sources and tooling stay out of the zip.
 */

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const entry = join(root, pkg.main);

/** Dev-time code and files: never deployed. */
const DEV_ONLY = [
  /^devhost\//,
  /^bench\//,
  /^bin\//,
  /^test\//,
  /^infra\//,
  /^docs\//,
  /^dist\/(devhost|bench|test)\//,
  /^\.(ci|github|vscode|dispatcher)\//,
  /^local\.settings\.json$/,
  /\.ts$/,
  /^(tsconfig.*|jest\.config\.js|eslint\.config\.mjs)$/,
];

beforeAll(() => {
  if (!existsSync(entry)) throw new Error(`${pkg.main} is missing: run "npm run build" first`);
});

describe('deployment package', () => {
  test('holds the entry, host.json, package.json and the default routes file', () => {
    const files = packageFiles(root);
    expect(files).toEqual(expect.arrayContaining([pkg.main, 'host.json', 'package.json', 'routes.json']));
  });

  test('holds no dev code, sources or tooling', () => {
    const shipped = packageFiles(root).filter((file) => DEV_ONLY.some((rule) => rule.test(file)));
    expect(shipped).toEqual([]);
  });

  test('holds every module the entry loads, and the entry loads nothing from the dev tooling', () => {
    const files = new Set(packageFiles(root));
    const closure = runtimeClosure(entry).files.map((f) => relative(root, f).split(sep).join('/'));
    expect(closure.filter((file) => !files.has(file))).toEqual([]);
    expect(closure.filter((file) => /^dist\/(devhost|bench|test)\//.test(file))).toEqual([]);
    expect(closure.length).toBeGreaterThan(20);
  });

  test('runtime dependencies are exactly the packages the product loads; dev tooling deps are devDependencies', () => {
    const loaded = runtimeClosure(entry).packages;
    // Declared where npm keeps them after `npm ci --omit=dev`.
    expect(loaded.filter((name) => !(name in pkg.dependencies))).toEqual([]);
    // Anything else in dependencies would ship without being used by the product.
    expect(Object.keys(pkg.dependencies).filter((name) => !loaded.includes(name))).toEqual([]);
    for (const devOnly of ['rhea', 'selfsigned', 'commander']) {
      expect(pkg.dependencies).not.toHaveProperty(devOnly);
      expect(pkg.devDependencies).toHaveProperty(devOnly);
    }
  });
});
