#!/usr/bin/env bash
# `pip install obolint` works: builds the wheel with maturin (from PyPI), installs it into a fresh
# virtual environment, and runs the installed `obolint` (and `python -m obolint`) on the bundled
# example.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/build"
"$work/build/bin/pip" install --quiet "maturin==1.16.0"
(cd "$repo" && "$work/build/bin/maturin" build --release --quiet --out "$work/dist")
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "$work"/dist/obolint-*.whl
passed=0
version="$("$work/venv/bin/obolint" --version)"
case "$version" in "obolint "*) echo "ok: $version"; passed=$((passed + 1)) ;; *) echo "FAILED: --version said '$version'"; exit 1 ;; esac
version="$("$work/venv/bin/python" -m obolint --version)"
case "$version" in "obolint "*) echo "ok: python -m obolint: $version"; passed=$((passed + 1)) ;; *) echo "FAILED: python -m obolint --version said '$version'"; exit 1 ;; esac
set +e
output="$(cd "$repo" && "$work/venv/bin/obolint" check --output-format concise fixtures/example-agent)"
status=$?
set -e
if [ "$status" -eq 1 ] && grep -q "OBO101" <<<"$output" && grep -q "OBO201" <<<"$output"; then
    echo "ok: the installed obolint reports the example's findings"; passed=$((passed + 1))
else
    echo "FAILED: exit $status, output:"; echo "$output"; exit 1
fi
echo "wheel: $passed passed, 0 failed"
