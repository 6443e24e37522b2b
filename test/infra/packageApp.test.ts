import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './armTemplate';

// The deployment package azd uploads is what infra/scripts/packageApp.sh stages (azure.yaml's
// prepackage hook and `dist`): built here exactly as azd builds it, then inspected.

interface Lock {
  packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
}

function files(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules'
      ? []
      : e.isDirectory()
        ? files(join(dir, e.name), `${prefix}${e.name}/`)
        : [`${prefix}${e.name}`],
  );
}

describe('azd deployment package', () => {
  const out = mkdtempSync(join(tmpdir(), 'app-package-'));
  let staged: string[] = [];

  beforeAll(() => {
    const run = spawnSync('bash', [join(repoRoot, 'infra', 'scripts', 'packageApp.sh'), out], {
      encoding: 'utf8',
      timeout: 300_000,
      // `npm test` built dist/ already; rebuilding it here would race the suites running beside this one.
      env: {
        ...process.env,
        PACKAGE_APP_SKIP_BUILD: existsSync(join(repoRoot, 'dist', 'functions')) ? '1' : '',
      },
    });
    if (run.status !== 0) throw new Error(`packageApp.sh failed:\n${run.stdout}\n${run.stderr}`);
    staged = files(out);
  }, 320_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is wired into azure.yaml: prepackage stages it, azd zips that folder without a remote build', () => {
    const yaml = readFileSync(join(repoRoot, 'azure.yaml'), 'utf8');
    expect(yaml).toMatch(/^ {4}dist: \.azure-package$/m);
    expect(yaml).toMatch(/^ {4}remoteBuild: false$/m);
    expect(yaml).toMatch(/run: bash infra\/scripts\/packageApp\.sh$/m);
  });

  it('holds what the Functions host loads: host.json, package.json and the files its main names', () => {
    expect(staged).toEqual(expect.arrayContaining(['host.json', 'package.json', 'package-lock.json']));
    const main = (JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as { main: string }).main;
    // main is a glob like dist/{functions,orchestrations}/*.js: every alternative must have files.
    const [, dir, alternatives, file] = /^(.*?)\{([^}]+)\}\/(.*)$/.exec(main) ?? [];
    const patterns = alternatives ? alternatives.split(',').map((a) => `${dir}${a}/${file}`) : [main];
    for (const pattern of patterns) {
      const re = new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`);
      expect([pattern, staged.some((f) => re.test(f))]).toEqual([pattern, true]);
    }
  });

  it('has every production dependency and no package the lockfile marks dev-only', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as Lock;
    const devOnly = Object.entries(lock.packages)
      .filter(([path, p]) => path.startsWith('node_modules/') && (p.dev || p.devOptional))
      .map(([path]) => path);
    expect(devOnly.length).toBeGreaterThan(10); // typescript, jest, eslint, ... exist in the repository
    expect(devOnly.filter((path) => existsSync(join(out, path)))).toEqual([]);
    const { dependencies } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const missing = Object.keys(dependencies).filter((d) => !existsSync(join(out, 'node_modules', d)));
    expect(missing).toEqual([]);
  });

  it('has no TypeScript sources, tests, local settings or build tooling', () => {
    const unwanted = staged.filter((f) =>
      /(^|\/)(test|coverage|\.tools|\.ci)\/|\.ts$|^local\.settings\.json$|^tsconfig|^jest\.config|^eslint\.config/.test(
        f.replace(/\.d\.ts$/, '.d'),
      ),
    );
    expect(unwanted).toEqual([]);
  });
});
