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

Issue 25 (third round), also from Fixtures/detection.json (compact, one line) unless said:

- utf8-overlong.json, utf8-surrogate.json, utf8-above-10ffff.json: the first image's file_name
  starts with the bytes C0 AF, ED A0 80, F4 90 80 80 (UTF-8's shape, not UTF-8).
- escape-lone-high.json, escape-lone-low.json, escape-high-then-high.json: the first image's
  file_name starts with \ud800x, \udc00, \ud800\ud800.
- escape-surrogate-ids.json: two images whose ids are the lone surrogates \ud800 and \ud801 and
  an annotation whose image_id is \ud802 (a dangling reference; yajl made all three "?").
- escape-pair-ok.json: a proper pair \ud83d\ude00 (valid).
- artifact-lone-surrogate.json + .jsonl: Fixtures/flavor's tabular output with its artifact beside
  it, line 2's id holding \udc00.
- href-nul.json, href-backslash.json, href-dotdot.json: that tabular document whose records.href is
  "records_X.jsonl\u0000.txt", ends in "a\\b.jsonl", or in "/..".
- polygon-coordinate-overflow.json: a polygon with a coordinate of 1.7e308 and one of -1.7e308 (its
  area and width overflow a double).

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

    third_round()


def third_round():
    text = compact(base())
    marker = '"file_name":"'
    assert marker in text

    def with_prefix(prefix):
        return text.replace(marker, marker + prefix, 1)

    for name, raw in [("utf8-overlong.json", b"\xc0\xaf"), ("utf8-surrogate.json", b"\xed\xa0\x80"),
                      ("utf8-above-10ffff.json", b"\xf4\x90\x80\x80")]:
        head, tail = text.split(marker, 1)
        with open(os.path.join(OUT, name), "wb") as f:
            f.write((head + marker).encode() + raw + (tail + "\n").encode())
    write("escape-lone-high.json", with_prefix("\\ud800x") + "\n")
    write("escape-lone-low.json", with_prefix("\\udc00") + "\n")
    write("escape-high-then-high.json", with_prefix("\\ud800\\ud800") + "\n")
    write("escape-pair-ok.json", with_prefix("\\ud83d\\ude00") + "\n")

    doc = base()
    doc["images"] = doc["images"][:2]
    first, second = doc["images"][0]["id"], doc["images"][1]["id"]
    doc["annotations"] = [a for a in doc["annotations"] if a["image_id"] in (first, second)][:1]
    doc["annotations"][0]["image_id"] = first
    ids = compact(doc)
    ids = ids.replace('"id":"%s"' % first, '"id":"\\ud800"', 1).replace('"id":"%s"' % second, '"id":"\\ud801"', 1)
    ids = ids.replace('"image_id":"%s"' % first, '"image_id":"\\ud802"', 1)
    write("escape-surrogate-ids.json", ids + "\n")

    flavor = os.path.join(ROOT, "Fixtures", "flavor")
    with open(os.path.join(flavor, "flavor-tabular-classification.json")) as f:
        tabular = f.read()
    with open(os.path.join(flavor, "records_b3UbJp42tMFsBzD8Ucw9W.jsonl")) as f:
        lines = f.read().split("\n")
    href = "/invocations/artifacts/records_b3UbJp42tMFsBzD8Ucw9W.jsonl"
    assert href in tabular
    name = "artifact-lone-surrogate"
    lines[1] = lines[1].replace('{"id":"', '{"id":"\\udc00', 1)
    artifact = "\n".join(lines)
    document = tabular.replace(href, "/invocations/artifacts/%s.jsonl" % name)
    document = document.replace('"bytes":9956', '"bytes":%d' % len(artifact.encode()))
    write(name + ".json", document)
    write(name + ".jsonl", artifact)
    for name, bad in [("href-nul.json", "/invocations/artifacts/records_X.jsonl\\u0000.txt"),
                      ("href-backslash.json", "/invocations/artifacts/a\\\\b.jsonl"),
                      ("href-dotdot.json", "/invocations/artifacts/..")]:
        write(name, tabular.replace(href, bad))

    doc = base()
    doc["annotations"][0]["segmentation"] = [[0, 0, 1.7e308, 0, -1.7e308, 1.7e308]]
    write("polygon-coordinate-overflow.json", compact(doc) + "\n")


if __name__ == "__main__":
    main()
