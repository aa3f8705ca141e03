#!/usr/bin/env python3
"""Checks `aicoco convert --to coco` output with pycocotools, on real and bundled AiCOCO files.

usage: check_coco.py AICOCO_BINARY FILE...

For each FILE: converts it (--image-size 512x512 for images without a size), loads the result
with pycocotools' COCO, and checks that
- every polygon has at least 6 numbers, an even count, and none has exactly 4 (which
  pycocotools would read as a box); every bbox is at least 1 x 1;
- annToMask and annToRLE accept every annotation, and every mask has at least one pixel;
- COCOeval of the file against itself (bbox, and segm when there are polygons) scores AP 1.0.
Prints one line per file and `check_coco: OK` when everything holds; exit status 1 otherwise.
"""
import contextlib
import copy
import io
import json
import subprocess
import sys

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def quiet(function, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args)


def self_evaluation(coco, kind):
    detections = copy.deepcopy(coco.dataset["annotations"])
    for detection in detections:
        detection.setdefault("score", 1.0)
        if kind == "bbox":
            detection.pop("segmentation", None)

    def run():
        results = coco.loadRes(detections)
        evaluation = COCOeval(coco, results, kind)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
        return evaluation.stats[0]
    return quiet(run)


def main():
    binary, files = sys.argv[1], sys.argv[2:]
    for path in files:
        result = subprocess.run([binary, "convert", "--to", "coco", "--image-size", "512x512", path],
                                capture_output=True)
        check(result.returncode == 0, "%s: convert exited %d: %s" % (path, result.returncode, result.stderr.decode()))
        if result.returncode != 0:
            continue
        dataset = json.loads(result.stdout)
        coco = COCO()
        coco.dataset = dataset
        quiet(coco.createIndex)
        annotations = dataset["annotations"]
        polygons = 0
        for annotation in annotations:
            where = "%s: annotation %s (%s)" % (path, annotation["id"], annotation.get("aicoco_id"))
            segmentation = annotation["segmentation"]
            check(isinstance(segmentation, list) and len(segmentation) > 0, where + ": no segmentation")
            for polygon in segmentation:
                polygons += 1
                check(len(polygon) >= 6 and len(polygon) % 2 == 0, where + ": polygon of %d numbers" % len(polygon))
            x, y, width, height = annotation["bbox"]
            check(width >= 1 and height >= 1, where + ": bbox %r" % annotation["bbox"])
            try:
                mask = coco.annToMask(annotation)
                coco.annToRLE(annotation)
                check(mask.sum() > 0, where + ": empty mask")
            except Exception as error:  # pycocotools raises plain Exceptions
                check(False, where + ": pycocotools: %r" % error)
        line = "%s: %d annotations, %d polygons" % (path, len(annotations), polygons)
        if annotations:
            for kind in ("bbox", "segm"):
                ap = self_evaluation(coco, kind)
                check(abs(ap - 1.0) < 1e-9, "%s: %s self-evaluation AP %r" % (path, kind, ap))
                line += ", %s AP %.4f" % (kind, ap)
        print(line)
    if failures:
        print("check_coco: %d failure(s)" % len(failures))
        sys.exit(1)
    print("check_coco: OK")


main()
