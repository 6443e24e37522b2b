import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './armTemplate';

// `npm run build:infra` has no fallback: when the Bicep CLI cannot be restored it fails and says why.

function buildInfra(env: Record<string, string>): { status: number | null; output: string } {
  // Its own output folder: dist/infra/main.json stays for the suites that read it meanwhile.
  const out = mkdtempSync(join(tmpdir(), 'build-infra-'));
  try {
    const run = spawnSync('bash', [join(repoRoot, 'infra', 'scripts', 'build.sh')], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, ...env, BUILD_INFRA_OUT: out },
    });
    return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe('build:infra without a usable Bicep CLI', () => {
  it('fails and names the version when the NuGet source does not serve it', () => {
    const { status, output } = buildInfra({ BICEP_VERSION: '0.0.1' });
    expect(status).toBe(1);
    expect(output).toMatch(
      /Azure\.Bicep\.CommandLine\.[a-z0-9-]+ 0\.0\.1 is not served by the configured NuGet source/,
    );
    expect(output).toMatch(/NU1102/);
    expect(output).toMatch(/infra\/ was not compiled/);
  });

  it('fails and names the install step when dotnet is missing', () => {
    const { status, output } = buildInfra({ BICEP_VERSION: '0.0.2', DOTNET: '/nonexistent/dotnet' });
    expect(status).toBe(1);
    expect(output).toMatch(/dotnet is not installed/);
    expect(output).toMatch(/Install the \.NET SDK/);
  });
});
