#!/usr/bin/env bash
# Usage: scripts/check-consumer-undici.sh <tarball> <undici major: 7 or 8>
# A user's project under the `node` on PATH: a fresh directory where the packed tarball and the
# given undici major are installed, then scripts/consumer-undici.mjs composes fastify-oauth1/core's
# signing interceptor on that undici's Agent and checks signed requests against a loopback provider.
# undici 7 is the version `npm ci` installed here (so npm's cache has it); undici 8 comes from the
# registry. Exits non-zero when the install or the check fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tarball="${1:?usage: $0 <tarball> <undici major>}"
major="${2:?usage: $0 <tarball> <undici major>}"
case "$major" in
  7) spec="undici@$(node -p "require('$root/node_modules/undici/package.json').version")" ;;
  *) spec="undici@$major" ;;
esac
project="$(mktemp -d "${TMPDIR:-/tmp}/fastify-oauth1-undici$major-XXXXXX")"
trap 'rm -rf "$project"' EXIT
cd "$project"
echo '{ "name": "consumer", "private": true, "type": "module" }' > package.json
if ! npm install "$tarball" "$spec" --prefer-offline --no-audit --no-fund --loglevel=error > npm-install.log 2>&1; then
  echo "check-consumer-undici: npm install $(basename "$tarball") $spec failed under Node $(node --version):" >&2
  cat npm-install.log >&2
  exit 1
fi
cp "$root/scripts/consumer-undici.mjs" .
node consumer-undici.mjs "$major"
