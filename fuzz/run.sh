#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), seeded from fixtures/ (docs/fuzzing.md).
# Usage: fuzz/run.sh [SECONDS] [TARGET...]. Needs nightly and cargo-fuzz. Stops at the first
# crash, hang (-timeout) or leak of memory past -rss_limit_mb; its input is in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(python_file notebook_json databricks_notebook yaml_manifest requirements_text
        config_toml lsp_stream fix_roundtrip)
fi
./seed.sh
# One build for all targets: optimised, debug assertions on (the rules' own checks run too),
# no sanitizer (obolint is safe Rust; AddressSanitizer would halve the executions).
cargo +nightly fuzz build --sanitizer none --debug-assertions
for target in "${targets[@]}"; do
    echo "--- fuzz $target ($seconds s)"
    # -timeout: one input taking longer than 10 s is a hang. -max_len: inputs up to 64 KiB.
    log="artifacts/$target.log"
    mkdir -p artifacts
    status=0
    cargo +nightly fuzz run --sanitizer none --debug-assertions "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -max_len=65536 -rss_limit_mb=4096 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)|SUMMARY|panicked|Test unit written|ERROR: libFuzzer' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log"
        echo "fuzz: $target failed (exit $status); the whole log is fuzz/$log"
        exit "$status"
    fi
done
