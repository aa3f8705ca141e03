#!/usr/bin/env python3
"""Regenerate Fixtures/hostile/: the hostile-input findings of issue 14, one small file each.

Deterministic, built from Fixtures/detection.json (compact, so that every value sits on line 1):

- deep-extra-125.json: extra fields nested 125 deep (yajl's generator stops at 128 levels) in an
  annotation (arrays around an object holding escapes) and in meta (objects around an array).
- deep-extra-at-limit.json: an annotation extra nested 509 deep: the document is exactly
  512 levels deep, the reader's default maxDepth.
- deep-extra-over-limit.json: one level more (513): a limit error at the innermost '['.
- deep-extra-over-limit.jsonl: the same document as `aicoco records` lines; assembled, the
  annotation is again 513 levels deep: the same limit error, placed on its line.
- number-2000-digits-in-polygon.json / -in-bbox.json: a 2,000-character decimal (1.2345...) as a
  coordinate: over maxNumberBytes (1024), so a limit error.

Big inputs (56 MB of escapes, a 16.7 MB integer) are generated at run time by the tests and
scripts/escaped-strings.sh, never stored.
"""
import json
import os

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "Fixtures", "hostile")


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def nested_arrays(depth, leaf):
    """`depth` levels: depth-1 arrays around `leaf` (itself one level when a container)."""
    value = leaf
    for _ in range(depth - 1):
        value = [value]
    return value


def nested_objects(depth, leaf):
    value = leaf
    for _ in range(depth - 1):
        value = {"o": value}
    return value


def base():
    with open(os.path.join(ROOT, "Fixtures", "detection.json")) as f:
        return json.load(f)


def write(name, text):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)


def main():
    os.makedirs(OUT, exist_ok=True)

    doc = base()
    doc["annotations"][1]["deep"] = nested_arrays(125, {"leaf": "caf\u00e9 \"q\" \\ \n\t\u0001\u001f", "n": [1.50, -2e-3]})
    doc["meta"]["deep"] = nested_objects(125, [])
    doc["meta"]["empty"] = {"a": [], "o": {}}
    write("deep-extra-125.json", compact(doc) + "\n")

    # The annotation record is 3 levels deep (document, annotations, record): 509 more make 512.
    doc = base()
    doc["annotations"][1]["deep"] = nested_arrays(509, [])
    write("deep-extra-at-limit.json", compact(doc) + "\n")

    doc = base()
    doc["annotations"][1]["deep"] = nested_arrays(510, [])
    write("deep-extra-over-limit.json", compact(doc) + "\n")
    lines = []
    for section in ["images", "annotations", "categories", "regressions", "objects"]:
        for record in doc[section]:
            lines.append(compact({"section": section, "record": record}))
    lines.append(compact({"section": "meta", "record": doc["meta"]}))
    write("deep-extra-over-limit.jsonl", "\n".join(lines) + "\n")

    digits = "1." + ("2345678901" * 200)[:1998]  # 2,000 characters, about 1.23 (fits a double)
    assert len(digits) == 2000
    doc = base()
    doc["annotations"][0]["segmentation"] = [[10, 20, 30, 20, 30, 40]]
    text = compact(doc).replace("[[10,20,30,20,30,40]]", "[[10,20," + digits + ",20,30,40]]", 1)
    write("number-2000-digits-in-polygon.json", text + "\n")
    doc = base()
    text = compact(doc)
    box = doc["annotations"][0]["bbox"][0]
    old = compact(doc["annotations"][0]["bbox"])
    new = "[[" + ",".join([str(box[0]), digits] + [str(v) for v in box[2:]]) + "]]"
    assert old in text
    write("number-2000-digits-in-bbox.json", text.replace(old, new, 1) + "\n")


if __name__ == "__main__":
    main()
