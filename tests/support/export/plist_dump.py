#!/usr/bin/env python3
"""Parses property lists with Python's plistlib and prints them as JSON:
plist_dump.py FILE... -> {"FILE-NAME": {...}}. Exits non-zero on any file that
is not a valid XML property list."""

import json
import plistlib
import sys

result = {}
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        result[path.rsplit("/", 1)[-1]] = plistlib.load(f, fmt=plistlib.FMT_XML)
json.dump(result, sys.stdout, ensure_ascii=False, sort_keys=True)
