#!/usr/bin/env bash
# Restores the pinned Bicep CLI from NuGet (package Azure.Bicep.CommandLine.<rid>, which ships the
# native `bicep` binary under tools/) into .tools/bicep/bicep, through the dotnet NuGet client.
# Idempotent: does nothing when the pinned version is already there.
# Exit codes: 0 restored (or already present), 3 not obtainable here (no dotnet, or the package
# source does not serve the package), 1 anything else.
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.37.4}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TOOLS="$ROOT/.tools/bicep"
BIN="$TOOLS/bicep"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) RID=linux-x64 ;;
  Linux-aarch64) RID=linux-arm64 ;;
  Darwin-x86_64) RID=osx-x64 ;;
  Darwin-arm64) RID=osx-arm64 ;;
  *) echo "restoreBicep: unsupported platform $(uname -s)-$(uname -m)" >&2; exit 3 ;;
esac

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "$BICEP_VERSION"; then
  exit 0
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "restoreBicep: dotnet is not installed; cannot restore Azure.Bicep.CommandLine.$RID $BICEP_VERSION" >&2
  exit 3
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
WORK="$TOOLS/restore"
mkdir -p "$WORK"
# PackageDownload fetches the package as-is (it has no framework assets to reference).
cat >"$WORK/restore.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Azure.Bicep.CommandLine.$RID" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
CSPROJ

LOG="$WORK/restore.log"
if ! timeout 300 dotnet restore "$WORK/restore.csproj" --packages "$TOOLS/packages" >"$LOG" 2>&1; then
  if grep -q "NU1101\|NU1102\|NU1301" "$LOG"; then
    echo "restoreBicep: Azure.Bicep.CommandLine.$RID $BICEP_VERSION is not obtainable from the configured NuGet source:" >&2
    grep -m1 "error NU1" "$LOG" >&2 || true
    exit 3
  fi
  cat "$LOG" >&2
  exit 1
fi

PKG="$TOOLS/packages/azure.bicep.commandline.$RID/$BICEP_VERSION"
SRC="$(find "$PKG" -type f -name bicep -path '*tools*' | head -n1)"
if [ -z "$SRC" ]; then
  echo "restoreBicep: package restored but no tools/bicep binary found under $PKG" >&2
  exit 1
fi
cp "$SRC" "$BIN"
chmod +x "$BIN"
"$BIN" --version
