#!/usr/bin/env python3
"""Writes COUNT NDJSON qualified security events in BATCH-line files.

Usage: make-ndjson.py COUNT BATCH OUTDIR

Each event has its own event_id, so every line is stored (none is a
duplicate). Used by scripts/bench-http.sh; the output is never committed.
"""

import json
import os
import sys


def main():
    count, batch, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    for start in range(0, count, batch):
        lines = []
        for n in range(start, min(start + batch, count)):
            lines.append(json.dumps({
                "event_id": f"bench-{n}",
                "vehicle_id": f"veh-{n % 1000}",
                "source": "ids",
                "kind": "ids.qsev",
                "attributes": {"sensor_id": 7, "event_id": n % 65536, "count": 1},
            }))
        with open(os.path.join(out, f"batch-{start:09d}.ndjson"), "w") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
