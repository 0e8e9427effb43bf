#!/usr/bin/env bash
# The VS Code extension (editors/vscode): installs its locked dependencies from the npm registry,
# compiles it, packages it into a .vsix with @vscode/vsce, then unpacks the .vsix and runs
# test/server.test.js on what it holds: the compiled launch logic (out/server.js, which does not
# import `vscode`) and the bundled vscode-jsonrpc start a real `obolint server` and speak LSP to
# it over stdio (initialize, didOpen, publishDiagnostics, the fix-on-save code action, shutdown).
# Usage: tests/e2e/vscode.sh [OBOLINT]; the .vsix is left at editors/vscode/obolint.vsix (CI
# uploads it). About 1.5 minutes on a fresh machine, most of it `npm ci`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
obolint="${1:-$repo/target/release/obolint}"
extension="$repo/editors/vscode"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start=$SECONDS

cd "$extension"
npm ci --no-audit --no-fund --silent
npx --no-install tsc -p ./
npx --no-install vsce package --skip-license --out obolint.vsix >"$work/vsce.log" 2>&1 \
    || { cat "$work/vsce.log"; exit 1; }
python3 -m zipfile -e obolint.vsix "$work/vsix"
# What the extension needs at run time is in the package.
for file in extension/package.json extension/out/extension.js extension/out/server.js \
    extension/node_modules/vscode-languageclient/node.js; do
    [ -f "$work/vsix/$file" ] || { echo "vscode: $file is missing from the .vsix"; exit 1; }
done
node test/server.test.js "$work/vsix/extension" "$obolint"
echo "vscode: obolint.vsix, $(wc -c <obolint.vsix) bytes, in $((SECONDS - start)) s"
