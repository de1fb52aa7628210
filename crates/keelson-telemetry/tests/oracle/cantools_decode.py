#!/usr/bin/env python3
"""Test oracle: decode candump -L frames with cantools and print one JSON object per line.

Usage: cantools_decode.py CAPTURE DBC [DBC ...]

DBC files may use opendbc's generator includes (CM_ "IMPORT x.dbc";); they are expanded
here independently of the Rust code: imported files first, then the including file.
Output lines: {"line": N, "signals": {name: value}} or {"line": N, "error": "..."},
only for frames whose ID the databases define.
"""

import json
import os
import re
import sys

import cantools

IMPORT = re.compile(r'^\s*CM_\s+"IMPORT\s+(\S+)"\s*;\s*$')
# A signal comment without a signal name (`CM_ SG_ 304 "text";`, found in opendbc's Honda
# files) stops cantools' grammar; comments do not change decoding, so such lines are dropped.
NAMELESS_SIGNAL_COMMENT = re.compile(r'^\s*CM_\s+SG_\s+\d+\s+"')


def read_text(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def loadable(text):
    """Removes what cantools refuses but decoding does not need.

    VAL_ tables (choices are not decoded here; cantools rejects tables for unknown
    signals) and BO_ blocks whose standard ID exceeds 11 bits (no frame can carry them;
    cantools rejects the whole file).
    """
    kept, skipping = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("BO_ "):
            ident = int(stripped.split()[1])
            skipping = ident < 0x80000000 and ident > 0x7FF
        elif not stripped.startswith("SG_ "):
            skipping = False
        if skipping or stripped.startswith("VAL_ ") or NAMELESS_SIGNAL_COMMENT.match(line):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def expand(path):
    folder = os.path.dirname(path)
    imported, core = [], []
    for line in read_text(path).splitlines():
        match = IMPORT.match(line)
        if match:
            imported.append(read_text(os.path.join(folder, match.group(1))))
        else:
            core.append(line)
    return "\n".join(imported + core) + "\n"


def load(paths):
    # Not strict: opendbc files carry VAL_ tables for signals they do not define.
    database = cantools.database.Database(strict=False)
    for path in paths:
        database.add_dbc_string(loadable(expand(path)))
    return database


def frames(capture):
    pattern = re.compile(r"^\s*\(([^)]*)\)\s+(\S+)\s+([0-9A-Fa-f]+)#([0-9A-Fa-f]*)\s*$")
    with open(capture, encoding="ascii", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            match = pattern.match(line)
            if match:
                ident = match.group(3)
                yield number, int(ident, 16), len(ident) > 3, bytes.fromhex(match.group(4))


def main():
    capture, dbcs = sys.argv[1], sys.argv[2:]
    database = load(dbcs)
    known = {(m.frame_id, m.is_extended_frame): m for m in database.messages}
    out = sys.stdout
    for number, ident, extended, data in frames(capture):
        message = known.get((ident, extended))
        if message is None:
            continue
        try:
            decoded = message.decode(data, decode_choices=False, scaling=True,
                                     allow_truncated=True, allow_excess=True)
            signals = {name: float(value) for name, value in decoded.items()}
            out.write(json.dumps({"line": number, "signals": signals}) + "\n")
        except Exception as error:  # cantools raises several types; all are reported
            out.write(json.dumps({"line": number, "error": str(error)}) + "\n")


if __name__ == "__main__":
    main()
