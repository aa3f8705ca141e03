#!/usr/bin/env python3
"""Regenerate Fixtures/strict/: mutations of the real FLaVor samples for `validate --strict`.

Each case changes one thing in a sample from Fixtures/flavor/ (image samples cut to their first
two annotations, artifacts to their first 4 records) and targets one rule of FLaVor's output
models or of the schema; some must still pass (what the models allow: extra keys where they allow
them, `1.0` and `1e1` where they take an int). A tabular case is `NAME.json` and its artifact
`NAME.jsonl` beside it (`records.href` names it; `rows` and `bytes` are recomputed).

Every case is kept valid for the default `aicoco validate` unless the schema itself rejects it,
so that `--strict` differs from the default only by FLaVor's models. The verdicts are recorded
separately by scripts/flavor_verdict.py (Fixtures/strict/verdicts.tsv); `cases.tsv` says what
each case targets. Deterministic; rewrites
every case (run from anywhere).
"""
import copy
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAVOR = os.path.join(ROOT, "Fixtures", "flavor")
OUT = os.path.join(ROOT, "Fixtures", "strict")
RAW = "@@RAW@@"


def load(name):
    with open(os.path.join(FLAVOR, name)) as f:
        return json.load(f)


def trimmed(name, keep=2, numbers=8):
    """The sample with its first `keep` annotations (polygons cut to `numbers` numbers)."""
    doc = load(name)
    doc["annotations"] = doc["annotations"][:keep]
    for a in doc["annotations"]:
        if a["segmentation"] is not None:
            a["segmentation"] = [p[:numbers] for p in a["segmentation"][:2]]
    used = {a["object_id"] for a in doc["annotations"]}
    doc["objects"] = [o for o in doc["objects"] if o["id"] in used]
    return doc


def artifact(name, count=4):
    with open(os.path.join(FLAVOR, name)) as f:
        return [json.loads(line) for line in f.readlines()[:count]]


def dumps(value):
    return json.dumps(value, separators=(",", ":"))


BASES = {
    "seg": lambda: trimmed("flavor-seg2d.json"),
    "det": lambda: trimmed("flavor-detection.json"),
    "cls": lambda: load("flavor-classification.json"),
    "reg": lambda: load("flavor-regression.json"),
    "hyb-cls": lambda: load("flavor-hybrid-classification.json"),
    "hyb-reg": lambda: load("flavor-hybrid-regression.json"),
    "tab-cls": lambda: (load("flavor-tabular-classification.json"), artifact("records_b3UbJp42tMFsBzD8Ucw9W.jsonl")),
    "tab-reg": lambda: (load("flavor-tabular-regression.json"), artifact("records_bXoh5OOKg_t9ut3J6EVbC.jsonl")),
}


def raw(token):
    """A number written as `token` exactly (json.dumps would rewrite it)."""
    return RAW + token + RAW


def finish(text):
    return text.replace('"' + RAW, "").replace(RAW + '"', "")


def setter(path, value):
    def edit(doc):
        target = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return edit


def deleter(path):
    def edit(doc):
        target = doc
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
    return edit


# name: (base, edit of the document, edit of the artifact's records, what it targets)
CASES = {
    # images[].index: int (the schema: any number)
    "seg-index-fraction": ("seg", setter(["images", 0, "index"], raw("0.5")), None, "index int"),
    "seg-index-integral-float": ("seg", setter(["images", 0, "index"], raw("1.0")), None, "index int (1.0 passes)"),
    "seg-index-exponent": ("seg", setter(["images", 0, "index"], raw("1e1")), None, "index int (1e1 passes)"),
    "seg-index-negative-zero": ("seg", setter(["images", 0, "index"], raw("-0.0")), None, "index int (-0.0 passes)"),
    "seg-index-big-integer": ("seg", setter(["images", 0, "index"], raw("123456789012345678901234567890")), None,
                              "index int (an integer of any size passes)"),
    "seg-index-big-float": ("seg", setter(["images", 0, "index"], raw("1e19")), None, "index int (beyond int64 as a float)"),
    "seg-index-two-to-63-float": ("seg", setter(["images", 0, "index"], raw("9223372036854775808.0")), None,
                                  "index int (2^63 as a float)"),
    "seg-index-below-two-to-63-float": ("seg", setter(["images", 0, "index"], raw("9223372036854774784.0")), None,
                                        "index int (the largest float below 2^63 passes)"),
    "seg-index-tiny": ("seg", setter(["images", 0, "index"], raw("5e-324")), None, "index int (denormal)"),
    "seg-index-string": ("seg", setter(["images", 0, "index"], "0"), None, "index a number (schema)"),
    # annotations[].segmentation: ints
    "seg-segmentation-fraction": ("seg", setter(["annotations", 0, "segmentation", 0, 1], raw("363.5")), None,
                                  "segmentation ints"),
    "seg-segmentation-integral-float": ("seg", setter(["annotations", 0, "segmentation", 0, 1], raw("363.0")), None,
                                        "segmentation ints (363.0 passes)"),
    "seg-segmentation-exponent-fraction": ("seg", setter(["annotations", 1, "segmentation", 1, 2], raw("1.25e1")), None,
                                           "segmentation ints (12.5 as an exponent)"),
    "seg-segmentation-exponent-integral": ("seg", setter(["annotations", 1, "segmentation", 1, 2], raw("4.37E2")), None,
                                           "segmentation ints (437 as an exponent passes)"),
    "seg-segmentation-big-integer": ("seg", setter(["annotations", 0, "segmentation", 0, 0], raw("12345678901234567890123")),
                                     None, "segmentation ints (an integer of any size passes)"),
    "seg-segmentation-big-float": ("seg", setter(["annotations", 0, "segmentation", 0, 0], raw("1.5e19")), None,
                                   "segmentation ints (beyond int64 as a float)"),
    "seg-segmentation-negative-fraction": ("seg", setter(["annotations", 0, "segmentation", 0, 7], raw("-0.25")), None,
                                           "segmentation ints"),
    "seg-segmentation-null-bbox": ("seg", setter(["annotations", 0, "segmentation"], None), None,
                                   "segmentation null passes"),
    "seg-annotation-extra-key": ("seg", setter(["annotations", 0, "area"], 12.5), None, "AiAnnotation allows extra keys"),
    "seg-iscrowd-one": ("seg", setter(["annotations", 0, "iscrowd"], 1), None, "iscrowd 0 or 1 (1 passes)"),
    "seg-iscrowd-two": ("seg", setter(["annotations", 0, "iscrowd"], 2), None, "iscrowd 0 or 1 (schema too)"),
    "seg-top-level-extra-key": ("seg", setter(["info"], {"model": "x"}), None, "extra top-level keys forbidden"),
    "seg-image-extra-key": ("seg", setter(["images", 0, "width"], 512), None, "AiImage allows extra keys"),
    "seg-image-missing-category-ids": ("seg", deleter(["images", 0, "category_ids"]), None, "AiImage.category_ids required"),
    "seg-category-missing-supercategory": ("seg", deleter(["categories", 0, "supercategory_id"]), None,
                                           "AiCategory.supercategory_id required"),
    "seg-object-missing-regressions": ("seg", deleter(["objects", 0, "regressions"]), None, "AiObject.regressions required"),
    # annotations[].bbox: ints
    "det-bbox-fraction": ("det", setter(["annotations", 0, "bbox", 0, 2], raw("100.5")), None, "bbox ints"),
    "det-bbox-integral-float": ("det", setter(["annotations", 0, "bbox", 0, 2], raw("100.0")), None,
                                "bbox ints (100.0 passes)"),
    "det-bbox-negative-fraction": ("det", setter(["annotations", 1, "bbox", 0, 0], raw("-3.25")), None, "bbox ints"),
    "det-bbox-three-numbers": ("det", setter(["annotations", 0, "bbox", 0], [1, 2, 3]), None,
                               "bbox entries of 4 (schema only; the models take any count)"),
    "det-object-confidence-string": ("det", setter(["objects", 0, "confidence"], "0.9"), None,
                                     "confidence a number (schema only; AiObject allows extra keys)"),
    "det-regression-item-extra-key": ("det", setter(["objects", 0, "regressions", 0, "unit"], "mm"), None,
                                      "AiRegressionItem forbids extra keys"),
    "det-regression-value-integer": ("det", setter(["objects", 0, "regressions", 0, "value"], 3), None,
                                     "AiRegressionItem.value float (an integer passes)"),
    # meta
    "cls-meta-extra-key": ("cls", setter(["meta", "threshold"], 0.5), None, "AiMeta allows extra keys"),
    "cls-meta-missing-regressions": ("cls", deleter(["meta", "regressions"]), None, "AiMeta.regressions required"),
    "cls-meta-task-type-unknown": ("cls", setter(["meta", "task_type"], "ordinal"), None,
                                   "task_type enum (schema only)"),
    "cls-category-extra-key": ("cls", setter(["categories", 0, "display"], {"color": "#fff"}), None,
                               "AiCategory allows extra keys"),
    "reg-meta-regression-extra-key": ("reg", setter(["meta", "regressions", 0, "ci"], [1, 2]), None,
                                      "AiRegressionItem forbids extra keys"),
    "reg-regression-extra-key": ("reg", setter(["regressions", 0, "threshold"], "140"), None,
                                 "AiRegression allows extra keys"),
    # hybrid outputs
    "hyb-cls-missing-table-ids": ("hyb-cls", deleter(["meta", "table_ids"]), None, "AiHybridMeta.table_ids required"),
    "hyb-reg-missing-table-ids": ("hyb-reg", deleter(["meta", "table_ids"]), None, "AiHybridMeta.table_ids required"),
    "hyb-cls-table-ids-list": ("hyb-cls", lambda d: d["meta"].__setitem__("table_ids", [d["tables"][0]["id"]]), None,
                               "AiHybridMeta.table_ids a list passes"),
    "hyb-cls-index-fraction": ("hyb-cls", setter(["images", 1, "index"], raw("1.5")), None, "index int"),
    "hyb-reg-index-integral-float": ("hyb-reg", setter(["images", 1, "index"], raw("1.0")), None,
                                     "index int (1.0 passes)"),
    "hyb-reg-table-extra-key": ("hyb-reg", setter(["tables", 0, "sha256"], "ab"), None, "AiTable allows extra keys"),
    "hyb-cls-meta-extra-key": ("hyb-cls", setter(["meta", "source"], "x"), None, "AiHybridMeta allows extra keys"),
    # tabular outputs
    "tab-cls-records-extra-key": ("tab-cls", setter(["records", "sha256"], "0f"), None,
                                  "AiCOCOTabularRecordsArtifact forbids extra keys"),
    "tab-reg-records-extra-null": ("tab-reg", setter(["records", "expires"], None), None,
                                   "AiCOCOTabularRecordsArtifact forbids extra keys (even null)"),
    "tab-cls-meta-extra-key": ("tab-cls", setter(["meta", "task_type"], "multilabel"), None,
                               "AiTableMeta allows extra keys"),
    "tab-reg-table-extra-key": ("tab-reg", setter(["tables", 1, "rows"], 30), None, "AiTable allows extra keys"),
    "tab-cls-category-extra-key": ("tab-cls", setter(["categories", 0, "color"], "#ff0000"), None,
                                   "AiCategory allows extra keys"),
    "tab-reg-record-extra-key": ("tab-reg", None, setter([0, "score"], 0.5), "AiRecord allows extra keys"),
    "tab-cls-record-missing-category-ids": ("tab-cls", None, deleter([1, "category_ids"]),
                                            "AiRecord.category_ids required"),
    "tab-reg-record-regression-extra-key": ("tab-reg", None, setter([2, "regressions", 0, "sd"], 1.5),
                                            "AiRegressionItem forbids extra keys (artifact)"),
}


def write(path, text):
    with open(path, "w", newline="") as f:
        f.write(text)


def main():
    os.makedirs(OUT, exist_ok=True)
    index = {}
    for name, (base, edit, edit_records, rule) in CASES.items():
        made = BASES[base]()
        if base.startswith("tab-"):
            doc, records = made
            if edit_records:
                edit_records(records)
            lines = "".join(finish(dumps(r)) + "\n" for r in records)
            data = lines.encode("utf-8")
            doc["records"]["href"] = "/invocations/artifacts/%s.jsonl" % name
            doc["records"]["rows"] = len(records)
            doc["records"]["bytes"] = len(data)
            write(os.path.join(OUT, name + ".jsonl"), lines)
        else:
            doc = made
        if edit:
            edit(doc)
        write(os.path.join(OUT, name + ".json"), finish(dumps(doc)))
        index[name + ".json"] = rule
    write(os.path.join(OUT, "cases.tsv"), "".join("%s\t%s\n" % item for item in sorted(index.items())))
    print("%d cases in %s" % (len(CASES), OUT))


if __name__ == "__main__":
    main()
