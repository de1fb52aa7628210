#!/usr/bin/env python3
"""Writes the CWE weakness table Keelson ships (ID and name per line,
tab-separated) from MITRE's CWE catalogue XML (cwec_vX.Y.xml, from
https://cwe.mitre.org/data/downloads.html).

    python3 scripts/make-cwe-table.py cwec_v4.14.xml crates/keelson-exchange/data/cwe-weaknesses.tsv
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://cwe.mitre.org/cwe-7}"


def main(catalogue, output):
    root = ET.parse(catalogue).getroot()
    version = root.get("Version")
    date = root.get("Date")
    rows = []
    for weakness in root.iter(NS + "Weakness"):
        rows.append((int(weakness.get("ID")), weakness.get("Name"), weakness.get("Status")))
    rows.sort()
    with open(output, "w", encoding="utf-8", newline="\n") as out:
        out.write(f"# MITRE CWE {version} ({date}): weaknesses, ID<TAB>name<TAB>status\n")
        for number, name, status in rows:
            if "\t" in name or "\n" in name:
                raise SystemExit(f"CWE-{number}: a name with a tab or newline")
            out.write(f"CWE-{number}\t{name}\t{status}\n")
    print(f"{len(rows)} weaknesses of CWE {version} written to {output}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
