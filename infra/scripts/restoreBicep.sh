#!/usr/bin/env bash
# Restores the pinned Bicep CLI from NuGet (package Azure.Bicep.CommandLine.<rid>, which ships the
# native `bicep` binary under tools/) into .tools/bicep/bicep, through the dotnet NuGet client.
# Idempotent: does nothing when the pinned version is already there. There is no fallback: when
# the compiler cannot be restored this fails with a message that says what to install or change.
set -euo pipefail

# Pinned: bump deliberately (and re-run `npm run build:infra`), never float.
BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TOOLS="$ROOT/.tools/bicep"
BIN="$TOOLS/bicep"
# The dotnet executable; overridable so the missing-SDK message can be tested.
DOTNET="${DOTNET:-dotnet}"

fail() {
  echo "restoreBicep: $*" >&2
  exit 1
}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) RID=linux-x64 ;;
  Linux-aarch64) RID=linux-arm64 ;;
  Darwin-x86_64) RID=osx-x64 ;;
  Darwin-arm64) RID=osx-arm64 ;;
  *) fail "no Azure.Bicep.CommandLine package for platform $(uname -s)-$(uname -m)" ;;
esac
PACKAGE="Azure.Bicep.CommandLine.$RID"

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "version $BICEP_VERSION "; then
  exit 0
fi

if ! command -v "$DOTNET" >/dev/null 2>&1; then
  fail "dotnet is not installed, so $PACKAGE $BICEP_VERSION cannot be restored.
  Install the .NET SDK first (Debian/Ubuntu: apt-get install -y dotnet-sdk-8.0, or any SDK >= 8),
  then run npm run build:infra again."
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p "$TOOLS"
# A fresh project folder per run, so concurrent restores (a test beside a build) do not collide.
WORK="$(mktemp -d "$TOOLS/restore.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# PackageDownload fetches the package as-is (it has no framework assets to reference). The package
# goes to a folder of this repository, not the user's NuGet cache, so a fresh machine and a fresh
# cache behave the same.
cat >"$WORK/restore.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$PACKAGE" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
CSPROJ

LOG="$WORK/restore.log"
if ! timeout 300 "$DOTNET" restore "$WORK/restore.csproj" --packages "$TOOLS/packages" >"$LOG" 2>&1; then
  if grep -q "NU1101\|NU1102" "$LOG"; then
    fail "$PACKAGE $BICEP_VERSION is not served by the configured NuGet source(s):
$(grep -m1 -o "error NU1.*" "$LOG")
  Unset BICEP_VERSION to use the pin in infra/scripts/restoreBicep.sh, or set it to a version the source serves."
  fi
  if grep -q "NU1301" "$LOG"; then
    fail "the NuGet source could not be reached while restoring $PACKAGE $BICEP_VERSION:
$(grep -m1 -o "error NU1301.*" "$LOG")"
  fi
  cat "$LOG" >&2
  fail "dotnet restore of $PACKAGE $BICEP_VERSION failed (log above)"
fi

PKG="$TOOLS/packages/$(echo "$PACKAGE" | tr '[:upper:]' '[:lower:]')/$BICEP_VERSION"
SRC="$(find "$PKG" -type f -name bicep -path '*tools*' | head -n1)"
[ -n "$SRC" ] || fail "$PACKAGE $BICEP_VERSION restored but it has no tools/bicep binary under $PKG"
cp "$SRC" "$BIN"
chmod +x "$BIN"
"$BIN" --version >/dev/null || fail "the restored $BIN does not run"
