import { formatDiagnostic, loadBicepProject } from './bicepProject';

// Offline Bicep check used by infra/scripts/build.sh when the Bicep CLI is not available.
// Usage: node lintBicep.js <repo root>
function main(): void {
  const root = process.argv[2] ?? process.cwd();
  const project = loadBicepProject(root);
  for (const d of project.diagnostics) console.error(formatDiagnostic(d));
  const statements = [...project.files.values()].reduce((n, f) => n + f.statements.length, 0);
  console.log(
    `offline Bicep check: ${project.files.size} files, ${statements} declarations, ${project.diagnostics.length} diagnostics`,
  );
  process.exitCode = project.diagnostics.length > 0 ? 1 : 0;
}

main();
