#!/usr/bin/env python3
"""Writes a candump -L file of about SIZE bytes from real corpus frames.

Usage: make-candump.py CAPTURE SIZE_MB OUT

The frames of CAPTURE (a candump log from the shared corpus) are repeated in
order with timestamps that keep increasing, so the result reads as one long
drive of the same vehicle. Used for the flat-memory ingest measurement; the
output is never committed.
"""

import sys


def frames(path):
    with open(path, "r", encoding="ascii", errors="replace") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 3 and parts[0].startswith("("):
                yield float(parts[0].strip("()")), parts[1], parts[2]


def main():
    capture, size_mb, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    base = list(frames(capture))
    if not base:
        sys.exit(f"{capture}: no candump frames")
    span = base[-1][0] - base[0][0] + 0.001
    limit = size_mb * 1024 * 1024
    written, lap = 0, 0
    with open(out, "w", encoding="ascii") as handle:
        while written < limit:
            shift = lap * span
            chunk = "".join(
                f"({stamp + shift:.6f}) {channel} {frame}\n" for stamp, channel, frame in base
            )
            handle.write(chunk)
            written += len(chunk)
            lap += 1


if __name__ == "__main__":
    main()
