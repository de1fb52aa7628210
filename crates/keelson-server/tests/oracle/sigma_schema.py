"""Checks Sigma rule texts against the Sigma specification's JSON schema.

Usage: sigma_schema.py SCHEMA.json < RULES.json, where RULES.json is a JSON
array of Sigma YAML texts. Each text is read with PyYAML (independently of
Keelson's own loader) and validated with the jsonschema package; prints a
JSON array with, per text, the list of schema errors (empty when valid).
"""

import datetime
import json
import sys

import jsonschema
import yaml


def plain(value):
    """YAML dates become the text they were written as, as JSON has no dates."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        schema = json.load(handle)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.FormatChecker()
    )
    texts = json.load(sys.stdin)
    results = []
    for text in texts:
        document = plain(yaml.safe_load(text))
        errors = [
            f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
            for error in validator.iter_errors(document)
        ]
        results.append(errors)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
