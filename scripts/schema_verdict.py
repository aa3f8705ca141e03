#!/usr/bin/env python3
"""Validate AiCOCO files against the upstream draft-07 JSON schema.

Usage: schema_verdict.py FILE...

Prints one line per file:
  FILE<TAB>valid
  FILE<TAB>invalid<TAB>$.path.of[0].first_error
  FILE<TAB>not-json
The schema is <script dir>/../spec/aicoco.schema.json unless the
environment variable AICOCO_SCHEMA names another file. Requires `jsonschema`.
The reported error is jsonschema's best_match (it descends into anyOf, so a
3-number bbox is reported at the bbox entry, e.g. $.annotations[0].bbox[0]).
NaN/Infinity literals and invalid UTF-8 count as not-json.
"""
import json
import os
import re
import sys

import jsonschema
from jsonschema.exceptions import best_match

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def schema_path():
    env = os.environ.get("AICOCO_SCHEMA")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "spec", "aicoco.schema.json"))


def format_path(parts):
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        elif IDENT.match(p):
            out += "." + p
        else:
            out += "[%s]" % json.dumps(p)
    return out


def _reject_constant(name):
    raise ValueError("non-standard JSON constant " + name)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: %s FILE...\n" % os.path.basename(argv[0]))
        return 2
    with open(schema_path()) as f:
        validator = jsonschema.Draft7Validator(json.load(f))
    for path in argv[1:]:
        try:
            doc = load(path)
        except (ValueError, UnicodeDecodeError):
            print("%s\tnot-json" % path)
            continue
        err = best_match(validator.iter_errors(doc))
        if err is None:
            print("%s\tvalid" % path)
        else:
            print("%s\tinvalid\t%s" % (path, format_path(err.absolute_path)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
