#!/usr/bin/env bash
# `npm run build:infra`: compile and lint infra/main.bicep, failing on any warning or error.
# With the Bicep CLI (restored by restoreBicep.sh): `bicep build` to dist/infra/main.json and
# `bicep lint`, then the offline check. Without it: the offline check only, and it says so loudly:
# that check parses and cross-checks the templates but is not a Bicep compile.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
OUT="dist/infra"
mkdir -p "$OUT"

status=0
bash infra/scripts/restoreBicep.sh
restore=$?

if [ "$restore" -eq 0 ]; then
  BICEP=".tools/bicep/bicep"
  echo "build:infra: $("$BICEP" --version)"
  for step in build lint; do
    if [ "$step" = build ]; then
      "$BICEP" build infra/main.bicep --outfile "$OUT/main.json" >"$OUT/$step.log" 2>&1
    else
      "$BICEP" lint infra/main.bicep >"$OUT/$step.log" 2>&1
    fi
    rc=$?
    cat "$OUT/$step.log"
    # bicep exits 0 on warnings: treat any Warning/Error diagnostic as a failure.
    if [ "$rc" -ne 0 ] || grep -Eq ': (Warning|Error) ' "$OUT/$step.log"; then
      echo "build:infra: bicep $step reported diagnostics" >&2
      status=1
    fi
  done
elif [ "$restore" -eq 3 ]; then
  rm -f "$OUT/main.json"
  echo "build:infra: WARNING: the Bicep CLI is not available here, so infra/ is NOT compiled."
  echo "build:infra: running the offline structural check instead (syntax subset, symbols, module contracts, policy)."
else
  echo "build:infra: restoring the Bicep CLI failed unexpectedly" >&2
  exit 1
fi

# The offline check is TypeScript shared with test/infra; compile just that entry point.
if ! npx --no-install tsc --outDir "$OUT/check" --rootDir test/infra --module commonjs --target es2022 \
  --strict --noUncheckedIndexedAccess --types node --skipLibCheck test/infra/lintBicep.ts; then
  echo "build:infra: could not compile the offline check" >&2
  exit 1
fi
node "$OUT/check/lintBicep.js" "$ROOT" || status=1

exit "$status"
