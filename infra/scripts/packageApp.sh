#!/usr/bin/env bash
# Stages the Function App deployment package: exactly what runs in Azure, nothing else.
#   bash infra/scripts/packageApp.sh [outDir]     (default .azure-package; azure.yaml's prepackage hook)
# 1. `npm run build` (tsc) in the repository, whose node_modules azd's restore step installed
#    (skipped with PACKAGE_APP_SKIP_BUILD=1 when dist/ is already fresh).
# 2. Copies the repository's files and the build output, less what .funcignore excludes, less
#    node_modules, .azure and local.settings.json.
# 3. `npm ci --omit=dev` in the staging folder: production dependencies from package-lock.json only,
#    so no devDependency or dev tool reaches Azure whatever the developer's node_modules holds.
# azure.yaml points azd at the staging folder (`dist`) with `remoteBuild: false`: azd zips it as is.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
OUT="$(mkdir -p "${1:-.azure-package}" && cd "${1:-.azure-package}" && pwd)"
case "$OUT" in
  "$ROOT") echo "packageApp: the staging folder cannot be the repository itself" >&2; exit 1 ;;
esac

# PACKAGE_APP_SKIP_BUILD=1: dist/ is already fresh (the CI test runs after `npm run build`).
[ "${PACKAGE_APP_SKIP_BUILD:-}" = 1 ] || npm run build >/dev/null

# Candidate files, relative to the repository, without what is never deployed.
candidates="$(mktemp)"
trap 'rm -f "$candidates" "$candidates.kept"' EXIT
find . \( -path ./node_modules -o -path ./.git -o -path ./.azure -o -path "./${OUT#"$ROOT"/}" \) -prune \
  -o -type f ! -name local.settings.json -print | sed 's|^\./||' | sort >"$candidates"

# .funcignore (gitignore syntax) decides the rest, with git's own matcher.
kept="$candidates.kept"
if [ -f .funcignore ]; then
  matcher="$(mktemp -d)"
  git -C "$matcher" init -q
  cp .funcignore "$matcher/.gitignore"
  git -C "$matcher" check-ignore --no-index --verbose --non-matching --stdin <"$candidates" |
    awk -F'\t' '$1 == "::" || $1 ~ /:!/ { print $2 }' >"$kept"
  rm -rf "$matcher"
else
  cp "$candidates" "$kept"
fi
for required in package.json package-lock.json host.json; do
  grep -qx "$required" "$kept" || echo "$required" >>"$kept"
done

find "$OUT" -mindepth 1 -delete
tar -cf - -T "$kept" | tar -xf - -C "$OUT"
(cd "$OUT" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
echo "packageApp: $OUT: $(wc -l <"$kept") files + production node_modules ($(du -sh "$OUT" | cut -f1))"
