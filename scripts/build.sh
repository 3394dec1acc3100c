#!/usr/bin/env bash
# Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with its own declarations.
# dist/cjs/package.json marks that folder CommonJS, so Node and TypeScript read its .js and
# .d.ts files as CommonJS while the package itself stays "type": "module".
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
tsc -p tsconfig.build.json
tsc -p tsconfig.cjs.json
# The bin (package.json "bin"): tsc keeps its shebang line; the built file is made executable.
chmod +x dist/esm/cli/main.js
echo '{ "type": "commonjs" }' > dist/cjs/package.json
