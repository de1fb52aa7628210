"""Runs the OASIS STIX 2.1 validator (PyPI stix2-validator) on one file and prints
its verdict as one JSON object: {"valid", "errors", "warnings"}. With --strict,
warnings count as errors, except the checks named after --disable."""

import argparse
import json

from stix2validator import ValidationOptions, validate_file


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--disable", default="")
    args = parser.parse_args()
    options = ValidationOptions(version="2.1", strict=args.strict, disabled=args.disable)
    result = validate_file(args.file, options)
    errors, warnings = [], []
    for found in result.object_results or []:
        errors.extend(f"{found.object_id}: {e}" for e in found.errors)
        warnings.extend(f"{found.object_id}: {w}" for w in found.warnings)
    if result.fatal:
        errors.append(str(result.fatal))
    print(json.dumps({"valid": result.is_valid, "errors": errors, "warnings": warnings}))


if __name__ == "__main__":
    main()
