#!/usr/bin/env bash
# `npm run build:infra`: compiles infra/main.bicep with the pinned Bicep CLI to dist/infra/main.json
# and lints it. Every Warning or Error diagnostic is a failure; there is no fallback when the
# compiler cannot be restored (restoreBicep.sh then fails and says what to install).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
# BUILD_INFRA_OUT: another output folder (the tests of the failure paths use one, not dist/infra).
OUT="${BUILD_INFRA_OUT:-dist/infra}"
mkdir -p "$OUT"
rm -f "$OUT/main.json"

if ! bash infra/scripts/restoreBicep.sh; then
  echo "build:infra: FAILED: the Bicep CLI could not be restored (see the message above); infra/ was not compiled" >&2
  exit 1
fi
BICEP=".tools/bicep/bicep"
echo "build:infra: $("$BICEP" --version)"

status=0
warnings=0
errors=0
start=$(date +%s%N)
for step in build lint; do
  if [ "$step" = build ]; then
    "$BICEP" build infra/main.bicep --outfile "$OUT/main.json" >"$OUT/$step.log" 2>&1
  else
    "$BICEP" lint infra/main.bicep >"$OUT/$step.log" 2>&1
  fi
  rc=$?
  cat "$OUT/$step.log"
  w=$(grep -Ec ': Warning ' "$OUT/$step.log")
  e=$(grep -Ec ': Error ' "$OUT/$step.log")
  warnings=$((warnings + w))
  errors=$((errors + e))
  # bicep exits 0 on warnings: any Warning/Error diagnostic fails the build.
  if [ "$rc" -ne 0 ] || [ "$w" -gt 0 ] || [ "$e" -gt 0 ]; then
    echo "build:infra: bicep $step: exit $rc, $w warning(s), $e error(s)" >&2
    status=1
  fi
done
elapsed=$((($(date +%s%N) - start) / 1000000))

if [ "$status" -ne 0 ]; then
  rm -f "$OUT/main.json"
  echo "build:infra: FAILED: $warnings warning(s), $errors error(s) in ${elapsed} ms" >&2
  exit 1
fi
echo "build:infra: $OUT/main.json: 0 warnings, 0 errors (build + lint in ${elapsed} ms)"
