#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's fixtures (docs/fuzzing.md). Idempotent: files
# are named by content hash, as libFuzzer names what it adds.
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../fixtures

seed() { # seed TARGET PREFIX FILE: copies FILE into the target's corpus, PREFIX bytes first
    local dir="corpus/$1" tmp
    mkdir -p "$dir"
    tmp=$(mktemp)
    { printf '%b' "$2"; cat "$3"; } > "$tmp"
    mv "$tmp" "$dir/$(sha1sum < "$tmp" | cut -c1-40)"
}

while IFS= read -r -d '' f; do
    seed python_file '' "$f"
    seed fix_roundtrip '' "$f"
    # The target writes the header itself; a seed that has one keeps it (a second header line
    # is ordinary input).
    if grep -q 'Databricks notebook source' "$f"; then seed databricks_notebook '' "$f"; fi
done < <(find "$fixtures" -name '*.py' -print0)
while IFS= read -r -d '' f; do seed notebook_json '' "$f"; done \
    < <(find "$fixtures" -name '*.ipynb' -print0)
while IFS= read -r -d '' f; do seed yaml_manifest '\x00' "$f"; done \
    < <(find "$fixtures" -name MLmodel -print0)
while IFS= read -r -d '' f; do seed yaml_manifest '\x01' "$f"; done \
    < <(find "$fixtures" \( -name 'resources.yaml' -o -name 'resources.yml' \) -print0)
while IFS= read -r -d '' f; do seed requirements_text '' "$f"; done \
    < <(find "$fixtures" -name 'requirements*.txt' -print0)
while IFS= read -r -d '' f; do seed config_toml '' "$f"; done \
    < <(find "$fixtures" \( -name '*.toml' \) -print0)

# The server's input: framed messages as an editor sends them.
frame() { printf 'Content-Length: %d\r\n\r\n%s' "${#1}" "$1"; }
lsp=$(mktemp)
{
    frame '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}'
    frame '{"jsonrpc":"2.0","method":"initialized","params":{}}'
    frame '{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///tmp/a.py","languageId":"python","version":1,"text":"import mlflow\n"}}}'
    printf 'garbage\r\nContent-Type: x\r\n\r\n'
    frame '{"jsonrpc":"2.0","id":2,"method":"shutdown"}'
    frame '{"jsonrpc":"2.0","method":"exit"}'
} > "$lsp"
seed lsp_stream '' "$lsp"
rm -f "$lsp"
for d in corpus/*; do echo "$d: $(ls "$d" | wc -l) seeds"; done
