#!/usr/bin/env bash
# Validates obolint's SARIF with Microsoft's SARIF validator (@microsoft/sarif-multitool, from
# the npm registry): any error or warning result fails. Usage: tests/e2e/sarif.sh [OBOLINT]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
obolint="${1:-$repo/target/release/obolint}"
tools="${SARIF_TOOLS_DIR:-/tmp/obolint-sarif-tools}"
mkdir -p "$tools"
if [ ! -x "$tools/node_modules/.bin/sarif-multitool" ]; then
    (cd "$tools" && npm install --no-audit --no-fund --silent @microsoft/sarif-multitool@5.7.0)
fi
# npm 11 does not run the package's postinstall, which makes the binary executable.
chmod u+x "$tools"/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

validate() {  # $1: SARIF file; fails on any error or warning result
    local log="$work/validation-$(basename "$1")"
    "$tools/node_modules/.bin/sarif-multitool" validate "$1" --output "$log" --quiet >/dev/null
    python3 - "$log" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
bad = [r for r in run.get("results", []) if r.get("level", "warning") in ("error", "warning")]
ok = all(i.get("executionSuccessful") for i in run.get("invocations", []))
for r in bad:
    print(f"  {r.get('level', 'warning')} {r.get('ruleId')}: {json.dumps(r.get('message'))[:300]}")
sys.exit(0 if ok and not bad else 1)
PY
}

passed=0
failed=0
check_in() {  # $1: folder to run in, $2: name, rest: obolint arguments
    local dir="$1" name="$2"; shift 2
    local out="$work/$name.sarif"
    (cd "$dir" && "$obolint" check --output-format sarif "$@" > "$out") || true
    if validate "$out"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}
check() {  # $1: name, rest: obolint arguments (run in the repository)
    check_in "$repo" "$@"
}
# A rule fixture is a project of its own only in a copy given the `pyproject.toml` root marker it
# leaves out, as crates/obolint_linter/tests/fixtures.rs does (in place, the repository would be
# the project).
fixture() {  # $1: name, $2: fixture folder
    local dir="$work/projects/$1"
    mkdir -p "$dir"
    cp -R "$repo/$2/." "$dir"
    [ -e "$dir/pyproject.toml" ] || printf '[project]\nname = "fixture"\nversion = "0.1.0"\n' > "$dir/pyproject.toml"
    check_in "$dir" "$1" .
}

check example fixtures/example-agent
# Notebook findings: regions on the lines of the .ipynb file, the cell in properties, fixes that
# edit the JSON.
check notebooks fixtures/example-notebooks
fixture with-fixes fixtures/rules/OBO901/fire_unused_and_unknown
fixture cross-file fixtures/rules/OBO101/fire_cross_file_helper
fixture clean fixtures/rules/OBO101/silent_helper_from_predict
# A fix that edits another file than its finding's (OBO710: Python finding, bundle edit).
fixture fix-in-other-file fixtures/rules/OBO710/fire_no_scopes

# The validator itself must catch a broken log, or the checks above prove nothing.
python3 - "$work/example.sarif" "$work/broken.sarif" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
del log["version"]
json.dump(log, open(sys.argv[2], "w"))
PY
if validate "$work/broken.sarif" >/dev/null; then echo "FAILED: the validator accepted a log without a version"; failed=$((failed + 1)); else echo "ok: broken log rejected"; passed=$((passed + 1)); fi

echo "sarif: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
