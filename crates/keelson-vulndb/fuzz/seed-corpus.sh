#!/bin/sh
# Seeds fuzz/corpus/TARGET (git-ignored) for every target of this fuzz workspace from the
# shared corpus: OSV records, NVD CVE files and responses, CSAF documents (advisories and
# the validator's test cases), and the purl, vers and CPE strings found in the corpus.
# The corpus holds no KEV catalogue or EPSS file, so those seeds are written in the
# published shapes around the CVE IDs of the corpus's NVD files.
# Usage: fuzz/seed-corpus.sh [CORPUS_DIR]  (default ../shared/corpus from the repo root)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-$here/../../../../shared/corpus}
for target in osv nvd kev epss csaf purl vers cpe; do mkdir -p "$here/corpus/$target"; done

find "$corpus/osv" -name '*.json' -exec cp {} "$here/corpus/osv/" \;
find "$corpus/nvd" -name '*.json' -size -2M -exec cp {} "$here/corpus/nvd/" \;
find "$corpus/csaf" -path '*csaf_2.0*' -name '*.json' -o -path '*cisa-csaf*' -name '*.json' \
     -o -path '*redhat*' -name '*.json' | while read -r file; do
    cp "$file" "$here/corpus/csaf/$(echo "$file" | cksum | cut -d' ' -f1).json"
done

python3 - "$corpus" "$here/corpus" <<'PY'
import json, pathlib, re, sys
corpus, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
prefixes = {"purl": "pkg:", "vers": "vers:", "cpe": "cpe:2.3:"}
found = {target: set() for target in prefixes}
cves = set()

def walk(value):
    if isinstance(value, dict):
        for item in value.values():
            walk(item)
    elif isinstance(value, list):
        for item in value:
            walk(item)
    elif isinstance(value, str):
        for target, prefix in prefixes.items():
            if value.startswith(prefix) and len(found[target]) < 2000:
                found[target].add(value)
        cves.update(re.findall(r"CVE-\d{4}-\d{4,}", value))

for area in ("purl", "vers", "nvd", "osv", "csaf"):
    for path in sorted((corpus / area).rglob("*.json")):
        try:
            walk(json.loads(path.read_text()))
        except (ValueError, UnicodeDecodeError):
            pass

for target, values in found.items():
    for index, value in enumerate(sorted(values)):
        (out / target / f"seed-{index}").write_text(value)
cves = sorted(cves)[:200]
kev = {"title": "seed", "catalogVersion": "2025.01.01", "count": len(cves),
       "vulnerabilities": [{"cveID": cve, "vendorProject": "v", "product": "p",
                            "dateAdded": "2024-01-01", "dueDate": "2024-01-22",
                            "knownRansomwareCampaignUse": "Unknown"} for cve in cves]}
(out / "kev" / "seed-catalogue.json").write_text(json.dumps(kev))
rows = "".join(f"{cve},0.{index % 97:05d},0.{index % 89:05d}\n" for index, cve in enumerate(cves))
(out / "epss" / "seed-scores.csv").write_text(
    "#model_version:v2025.03.14,score_date:2025-03-15T00:00:00+0000\ncve,epss,percentile\n" + rows)
PY
for target in osv nvd kev epss csaf purl vers cpe; do
    echo "seeded $(ls "$here/corpus/$target" | wc -l) files into corpus/$target"
done
