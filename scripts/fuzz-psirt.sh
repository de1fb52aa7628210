#!/bin/sh
# Runs every PSIRT fuzz target (keelson-vulndb: osv nvd kev epss csaf purl vers cpe;
# keelson-sbom: import) for SECONDS each (default 60) after seeding them from the corpus,
# and prints one line per target: target, seconds, runs, result. cargo-fuzz must be
# installed (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets it use the nightly
# sanitizer flags on the stable toolchain. A crash leaves its input under
# crates/CRATE/fuzz/artifacts/TARGET/ and the script exits 1 after the other targets ran.
# Usage: scripts/fuzz-psirt.sh [SECONDS] [CORPUS_DIR]
set -u
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${2:-$root/../shared/corpus}
export RUSTC_BOOTSTRAP=1
status=0

run_crate() {
    dir=$1; shift
    "$dir/seed-corpus.sh" "$corpus" >/dev/null
    (cd "$dir" && cargo fuzz build -O 2>&1 | tail -n 3) || return 1
    mkdir -p "$dir/logs"
    for target in "$@"; do
        log="$dir/logs/$target.log"
        (cd "$dir" && cargo fuzz run -O "$target" "corpus/$target" -- \
            -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1)
        result=$?
        runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || true)
        if [ "$result" -eq 0 ]; then verdict=ok; else verdict="FAILED (see $log)"; status=1; fi
        echo "$target ${seconds}s ${runs:-?} runs: $verdict"
    done
}

run_crate "$root/crates/keelson-vulndb/fuzz" osv nvd kev epss csaf purl vers cpe
run_crate "$root/crates/keelson-sbom/fuzz" import
exit "$status"
