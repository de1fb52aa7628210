#!/usr/bin/env bash
# NDJSON events per second through POST /api/v1/telemetry into a fresh store.
#
#   scripts/bench-http.sh KEELSON_BINARY [EVENTS] [BATCH] [PARALLEL] [DATABASE_URL]
#
# Starts `keelson serve` on a fresh data folder (or a fresh PostgreSQL
# database when DATABASE_URL is given; it is dropped and created), posts
# EVENTS events (default 200000) in BATCH-line bodies (default 5000) from
# PARALLEL curl processes (default 2), and prints events/s.
set -euo pipefail

binary="$1"; events="${2:-200000}"; batch="${3:-5000}"; parallel="${4:-2}"; database="${5:-}"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
here="$(cd "$(dirname "$0")" && pwd)"

python3 "$here/make-ndjson.py" "$events" "$batch" "$work/batches"
args=(--data-dir "$work/data")
if [ -n "$database" ]; then
    admin="${database%/*}/postgres"
    name="${database##*/}"
    psql "$admin" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    args+=(--database "$database")
fi
port=$((20000 + RANDOM % 10000))
KEELSON_INGEST_CONCURRENCY="$parallel" "$binary" "${args[@]}" serve \
    --listen "127.0.0.1:$port" > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break
    sleep 0.2
done
token=$("$binary" "${args[@]}" admin create-token admin)

start=$(date +%s.%N)
ls "$work"/batches/*.ndjson | xargs -P "$parallel" -I{} curl -sf -o /dev/null \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/x-ndjson' \
    --data-binary @{} "http://127.0.0.1:$port/api/v1/telemetry"
end=$(date +%s.%N)
python3 -c "print(f'{$events / ($end - $start):.0f} events/s ({$events} events in {$end - $start:.2f} s)')"
