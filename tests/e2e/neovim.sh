#!/usr/bin/env bash
# `obolint server` with a real editor: Neovim (Debian's package, 0.7 or newer) opens the example
# agent headless, its built-in LSP client receives the pushed diagnostics, applies OBO201's quick
# fix through the client, and the buffer and the refreshed diagnostics are checked here.
# Usage: tests/e2e/neovim.sh [OBOLINT]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
obolint="${1:-$repo/target/release/obolint}"
if ! command -v nvim >/dev/null; then
    echo "FAILED: nvim is not installed (apt-get install neovim)"; exit 1
fi
nvim --version | head -1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/fixtures/example-agent" "$work/project"
mkdir "$work/out"

set +e
OBOLINT="$obolint" FILE="$work/project/sales_agent/agent.py" OUT="$work/out" \
    timeout 120 nvim --headless --clean -c "luafile $repo/tests/e2e/neovim.lua" >"$work/nvim.log" 2>&1
status=$?
set -e
if [ "$status" -ne 0 ]; then
    echo "FAILED: Neovim exited with $status"
    cat "$work/out/error.txt" 2>/dev/null || true
    cat "$work/nvim.log"
    exit 1
fi

python3 - "$work/out" "$work/project/sales_agent/agent.py" <<'PY'
import json, pathlib, sys
out, original = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).read_text()
received = json.loads((out / "diagnostics.json").read_text())
found = sorted((d["code"], d["line"], d["col"]) for d in received)
assert found == [("OBO101", 15, 28), ("OBO201", 20, 17)], found
assert all(d["href"].endswith(f"/docs/rules/{d['code']}.md") for d in received), received
print("ok: Neovim received OBO101 at 15:28 and OBO201 at 20:17, with links to the rule docs")
titles = json.loads((out / "actions.json").read_text())
assert "Suppress OBO201 on this line" in titles, titles
print("ok: code actions offered:", "; ".join(titles))
buffer = (out / "buffer.txt").read_text()
expected = original.replace('genie_agent_name="Sales")', 'genie_agent_name="Sales", client=user)')
assert expected != original and buffer == expected, buffer
print("ok: the quick fix applied through the client left the expected buffer")
after = sorted(d["code"] for d in json.loads((out / "after.json").read_text()))
assert after == ["OBO101"], after
print("ok: after the edit (incremental sync), only OBO101 remains")
PY
