#!/usr/bin/env bash
# Seeds each fuzz target's corpus (fuzz/corpus/<target>/) from the shared test corpus.
# Large captures are cut to their first 4 KiB so that seeds stay small and fast.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
corpus="${KEELSON_CORPUS:-$here/../../../../shared/corpus}"
can="$corpus/can"
if [ ! -d "$can" ]; then
    echo "no corpus at $can (set KEELSON_CORPUS)" >&2
    exit 1
fi

seed() { # target file...
    local target="$1"
    shift
    mkdir -p "$here/corpus/$target"
    for file in "$@"; do
        head -c 4096 "$file" > "$here/corpus/$target/$(basename "$file")"
    done
}

seed candump "$can"/eldominio-canbuslogs/*/*.log "$can"/labelled/systemscyber-j1939/normal*.log
seed asc "$can"/python-can/test/data/*.asc
seed trc "$can"/python-can/test/data/*.trc "$can"/eldominio-canbuslogs/*/*.trc
seed dlt "$can"/dlt-daemon/tests/*.dlt
seed dbc "$can"/opendbc/dbc/*.dbc "$can"/cantools/tests/files/dbc/*.dbc
seed detect "$can"/python-can/test/data/* "$can"/dlt-daemon/tests/*.dlt

# The CSV target reads its layout from the first byte (0 HCRL, 1 DAGA, 2 ROAD, 3 J1939,
# 4 label-prefixed), so each seed gets that byte in front.
mkdir -p "$here/corpus/csv"
layout_seed() { # selector file
    { printf "\\x$(printf '%02x' "$1")"; head -c 4096 "$2"; } > "$here/corpus/csv/$1-$(basename "$2")"
}
for file in "$can"/labelled/secloud-acs-daga/*.csv; do layout_seed 1 "$file"; done
for file in "$can"/labelled/road-processed-csc429-lccde/*.csv; do layout_seed 2 "$file"; done
for file in "$can"/labelled/systemscyber-j1939/*.csv; do layout_seed 3 "$file"; done
layout_seed 4 "$can/labelled/similarity-can-ids/test_data.log"
printf '\x001478198376.389427,0316,8,05,21,68,09,21,21,00,6f,R\n' > "$here/corpus/csv/0-hcrl"

# NDJSON events have no corpus file; these lines cover each source and the QSEv kind.
mkdir -p "$here/corpus/ndjson"
cat > "$here/corpus/ndjson/events.ndjson" <<'JSON'
{"source":"ids","kind":"ids.qsev","attributes":{"sensor_id":1,"event_id":2,"count":3,"context_data":"beef"}}
{"source":"can","kind":"can.frame","vehicle_time":"2024-01-02T03:04:05.5Z","attributes":{"id":291,"extended":false,"dlc":2,"data":"0102"}}
{"source":"ota","kind":"ota.install","vehicle_id":"VIN1","ecu":"TCU","build_id":"b-1"}
JSON

for dir in "$here"/corpus/*/; do
    echo "$(basename "$dir"): $(find "$dir" -type f | wc -l) seeds"
done
