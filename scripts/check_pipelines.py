#!/usr/bin/env python3
"""Checks the pipeline subcommands of the aicoco CLI end to end.

usage: check_pipelines.py AICOCO_BINARY [FIXTURES_DIR]

- records | assemble gives back each good fixture (content compared with json; numbers
  compared as floats, since typed AiCOCO numbers are doubles);
- convert --to coco: structure, ids, bbox/area, and loading with pycocotools' COCO
  (that part is skipped, with a message, when pycocotools cannot be imported);
- filter: output passes `aicoco validate`.
Exit status 0 when every check passes.
"""
import json
import os
import subprocess
import sys
import tempfile

GOOD = ["minimal.json", "classification.json", "detection.json", "regression.json",
        "segmentation-series.json", "extras.json"]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def norm(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [norm(item) for item in value]
    return {key: norm(item) for key, item in value.items()}


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True)


def main():
    aicoco = sys.argv[1]
    fixtures = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "Fixtures")
    for name in GOOD:
        path = os.path.join(fixtures, name)
        with open(path, "rb") as handle:
            original = json.load(handle)
        records = run([aicoco, "records", path])
        check(records.returncode == 0, f"records {name}: exit {records.returncode} {records.stderr!r}")
        for line in records.stdout.splitlines():
            entry = json.loads(line)
            check(set(entry) == {"section", "record"}, f"records {name}: line keys {sorted(entry)}")
        assembled = run([aicoco, "assemble", "-"], stdin=records.stdout)
        check(assembled.returncode == 0, f"assemble {name}: exit {assembled.returncode} {assembled.stderr!r}")
        check(norm(json.loads(assembled.stdout)) == norm(original), f"records | assemble {name}: content differs")
        for section in ["images", "annotations", "categories", "objects"]:
            lines = run([aicoco, "records", "--section", section, path]).stdout.splitlines()
            check([norm(json.loads(line)) for line in lines] == norm(original[section]),
                  f"records --section {section} {name}: records differ")

        coco_run = run([aicoco, "convert", "--to", "coco", "--image-size", "512x512", path])
        check(coco_run.returncode == 0, f"convert {name}: exit {coco_run.returncode} {coco_run.stderr!r}")
        coco = json.loads(coco_run.stdout)
        check_coco(name, original, coco, coco_run.stdout)

        filtered = run([aicoco, "filter", "--index", "0...3", path])
        with open(path) as handle:
            matching = [image for image in json.load(handle).get("images", []) if 0 <= image["index"] <= 3]
        if not matching:
            # Nothing matches: filter says so and exits 1, writing nothing (as grep does).
            check(filtered.returncode == 1 and not filtered.stdout, f"filter {name}: exit {filtered.returncode} on no match")
        else:
            check(filtered.returncode == 0, f"filter {name}: exit {filtered.returncode}")
            valid = run([aicoco, "validate", "-"], stdin=filtered.stdout)
            check(valid.returncode == 0, f"filter {name}: output invalid: {valid.stdout!r}")
    print("check_pipelines:", "OK" if not failures else f"{len(failures)} failures")
    return 0 if not failures else 1


def check_coco(name, original, coco, raw):
    check(set(coco) >= {"images", "annotations", "categories"}, f"coco {name}: top-level keys {sorted(coco)}")
    image_ids = {image["id"] for image in coco["images"]}
    category_ids = {category["id"] for category in coco["categories"]}
    check(len(coco["images"]) == len(original["images"]), f"coco {name}: image count")
    check(all(isinstance(i, int) for i in image_ids | category_ids), f"coco {name}: ids not integers")
    objects = {o["id"]: o for o in original["objects"]}
    expected = sum(len(objects[a["object_id"]]["category_ids"] or [])
                   for a in original["annotations"] if a["segmentation"] or a["bbox"])
    check(len(coco["annotations"]) == expected, f"coco {name}: {len(coco['annotations'])} annotations, expected {expected}")
    by_aicoco = {a["id"]: a for a in original["annotations"]}
    for ann in coco["annotations"]:
        check(ann["image_id"] in image_ids and ann["category_id"] in category_ids, f"coco {name}: dangling ids")
        x, y, w, h = ann["bbox"]
        check(w >= 0 and h >= 0 and ann["area"] >= 0, f"coco {name}: negative bbox/area")
        source = by_aicoco[ann["aicoco_id"]]
        if source["segmentation"]:
            # Points are pixel centres, rounded to the nearest (ties to even, as np.rint): the bbox
            # holds the pixels (these fixtures lie inside the image).
            xs = [round(v) for poly in source["segmentation"] for v in poly[0::2]]
            ys = [round(v) for poly in source["segmentation"] for v in poly[1::2]]
            check([x, y, w, h] == [min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1],
                  f"coco {name}: bbox from the pixels")
    try:
        from pycocotools.coco import COCO
    except ImportError:
        print(f"coco {name}: pycocotools not importable: skipping the COCO(...) load (pip install pycocotools)")
        return
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        handle.write(raw)
    try:
        api = COCO(handle.name)
        check(len(api.getImgIds()) == len(coco["images"]), f"pycocotools {name}: images")
        check(len(api.getAnnIds()) == len(coco["annotations"]), f"pycocotools {name}: annotations")
        for ann in api.loadAnns(api.getAnnIds()):
            if ann["segmentation"]:
                mask = api.annToMask(ann)
                check(mask.shape == (512, 512), f"pycocotools {name}: mask shape")
    finally:
        os.unlink(handle.name)


if __name__ == "__main__":
    sys.exit(main())
