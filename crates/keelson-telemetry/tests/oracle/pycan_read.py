#!/usr/bin/env python3
"""Test oracle: read a CAN log with python-can and print one JSON object per message.

Usage: pycan_read.py FILE   (.asc, .trc or candump .log, chosen by extension)
Output lines: {"id", "extended", "remote", "error", "fd", "dlc", "data", "t"} where
"t" is python-can's timestamp in seconds and "data" lowercase hex.
"""

import json
import sys

import can


def reader(path):
    if path.endswith(".asc"):
        return can.ASCReader(path)
    if path.endswith(".trc"):
        return can.TRCReader(path)
    return can.CanutilsLogReader(path)


def main():
    path = sys.argv[1]
    for message in reader(path):
        record = {
            "id": message.arbitration_id,
            "extended": bool(message.is_extended_id),
            "remote": bool(message.is_remote_frame),
            "error": bool(message.is_error_frame),
            "fd": bool(message.is_fd),
            "dlc": message.dlc,
            "data": bytes(message.data).hex(),
            "t": message.timestamp,
        }
        sys.stdout.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
