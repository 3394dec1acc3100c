#!/usr/bin/env bash
# Packs the package as npm would publish it, then lints the tarball with publint and
# @arethetypeswrong/cli (both offline). Any finding fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
tarball="$out/$(npm pack --silent --pack-destination "$out" | tail -n 1)"
publint run --strict "$tarball"
attw --profile strict --no-emoji "$tarball"
