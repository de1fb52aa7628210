#!/bin/sh
# Copies corpus documents into fuzz/corpus/import (git-ignored) as libFuzzer seeds.
# Usage: fuzz/seed-corpus.sh [CORPUS_DIR]  (default ../shared/corpus from the repo root)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-$here/../../../../shared/corpus}
mkdir -p "$here/corpus/import"
find "$corpus/cyclonedx/spec-tests/1.4" "$corpus/cyclonedx/spec-tests/1.5" \
     "$corpus/cyclonedx/spec-tests/1.6" "$corpus/cyclonedx/spec-tests/1.6-xml" \
     "$corpus/spdx/spec-examples/v2.2" "$corpus/spdx/spec-examples/v2.3" \
     -type f \( -name '*.json' -o -name '*.xml' -o -name '*.spdx' \) \
     -exec cp {} "$here/corpus/import/" \;
echo "seeded $(ls "$here/corpus/import" | wc -l) files into $here/corpus/import"
