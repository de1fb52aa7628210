#!/usr/bin/env bash
# Runs every cargo-fuzz target of keelson-telemetry for a bounded time each,
# seeded from the shared corpus, and prints one line per target.
#
#   scripts/fuzz.sh [SECONDS]        (default 60 seconds per target)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the targets build on the
# pinned stable toolchain with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly
# flags). A crash leaves its input in crates/keelson-telemetry/fuzz/artifacts/
# and makes the script exit 1. Not part of CI: it is run by hand.
set -uo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$root/crates/keelson-telemetry/fuzz"
export RUSTC_BOOTSTRAP=1
export KEELSON_CORPUS="${KEELSON_CORPUS:-$root/../shared/corpus}"

if ! command -v cargo-fuzz > /dev/null; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi
bash "$fuzz/seed.sh" > /dev/null || exit 2

cd "$fuzz" || exit 2
targets=$(cargo fuzz list) || exit 2
cargo fuzz build --release > /dev/null 2>&1 || { cargo fuzz build --release; exit 2; }

failed=0
for target in $targets; do
    log="$(mktemp)"
    if cargo fuzz run --release "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1; then
        outcome=ok
    else
        outcome=CRASH
        failed=1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    echo "$target: $outcome, ${runs:-?} runs in ${seconds}s, coverage ${coverage:-?}"
    if [ "$outcome" = CRASH ]; then
        tail -n 30 "$log" >&2
    fi
    rm -f "$log"
done
exit "$failed"
