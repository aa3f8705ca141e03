#!/usr/bin/env python3
"""Checks `aicoco convert --to coco` output with pycocotools, on real and bundled AiCOCO files.

usage: check_coco.py AICOCO_BINARY FILE...

For each FILE and each --segmentation form (polygon, rle): converts it (--image-size 512x512 for
images without a size), loads the result with pycocotools' COCO, and checks that
- every polygon has at least 6 numbers, an even count, and none has exactly 4 (which
  pycocotools would read as a box); every RLE is {"size": [h, w], "counts": str}; every bbox is
  at least 1 x 1;
- annToMask and annToRLE accept every annotation, and every mask has at least one pixel;
- for every annotation with contours: annToMask equals cv2.fillPoly of its AiCOCO contours (all
  of them in one call, as FLaVor's cv2.findContours points are pixel centres) pixel for pixel,
  area is that mask's pixel count and bbox [x, y, w, h] its pixels' box;
- COCOeval of the file against itself (bbox and segm) scores AP 1.0.
Prints one line per file and `check_coco: OK` when everything holds; exit status 1 otherwise.
"""
import contextlib
import copy
import io
import json
import subprocess
import sys

import cv2
import numpy as np
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


def fill_poly(contours, height, width):
    """cv2.fillPoly of all of an annotation's contours in one call (integer points)."""
    mask = np.zeros((height, width), dtype=np.uint8)
    points = [np.rint(np.asarray(c[: len(c) // 2 * 2], dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2)
              for c in contours if len(c) >= 2]
    if points:
        cv2.fillPoly(mask, points, 1)
    return mask


def check_pixels(where, annotation, source, image, coco):
    """annToMask equals cv2.fillPoly of the AiCOCO contours; area and bbox are the pixels'."""
    expected = fill_poly(source["segmentation"], image["height"], image["width"])
    got = coco.annToMask(annotation)
    ys, xs = np.nonzero(expected)
    differing = int((got != expected).sum())
    check(differing == 0, where + ": annToMask differs from cv2.fillPoly in %d pixels (IoU %.4f)" % (
        differing, (got & expected).sum() / max(1, (got | expected).sum())))
    check(annotation["area"] == int(expected.sum()), where + ": area %r, %d pixels" % (annotation["area"], expected.sum()))
    if len(xs):
        box = [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
        check(annotation["bbox"] == box, where + ": bbox %r, pixels' box %r" % (annotation["bbox"], box))
    return differing == 0


def main():
    binary, files = sys.argv[1], sys.argv[2:]
    for path in files:
        with open(path) as source_file:
            sources = {a["id"]: a for a in json.load(source_file).get("annotations") or []}
        for form in ("polygon", "rle"):
            check_file(binary, path, form, sources)
    if failures:
        print("check_coco: %d failure(s)" % len(failures))
        sys.exit(1)
    print("check_coco: OK")


def check_file(binary, path, form, sources):
    result = subprocess.run([binary, "convert", "--to", "coco", "--image-size", "512x512", "--segmentation", form, path],
                            capture_output=True)
    check(result.returncode == 0, "%s: convert exited %d: %s" % (path, result.returncode, result.stderr.decode()))
    if result.returncode != 0:
        return
    dataset = json.loads(result.stdout)
    coco = COCO()
    coco.dataset = dataset
    quiet(coco.createIndex)
    annotations = dataset["annotations"]
    polygons = exact = masks = 0
    for annotation in annotations:
        where = "%s (%s): annotation %s (%s)" % (path, form, annotation["id"], annotation.get("aicoco_id"))
        segmentation = annotation["segmentation"]
        source = sources.get(annotation.get("aicoco_id"), {})
        if isinstance(segmentation, dict):
            check(form == "rle" and isinstance(segmentation.get("counts"), str)
                  and segmentation.get("size") == [coco.imgs[annotation["image_id"]]["height"],
                                                   coco.imgs[annotation["image_id"]]["width"]], where + ": RLE %r" % segmentation)
        else:
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
            if source.get("segmentation"):
                masks += 1
                exact += check_pixels(where, annotation, source, coco.imgs[annotation["image_id"]], coco)
        except Exception as error:  # pycocotools raises plain Exceptions
            check(False, where + ": pycocotools: %r" % error)
    line = "%s (%s): %d annotations, %d polygons, %d of %d masks equal to cv2.fillPoly" % (
        path, form, len(annotations), polygons, exact, masks)
    if annotations:
        for kind in ("bbox", "segm"):
            ap = self_evaluation(coco, kind)
            check(abs(ap - 1.0) < 1e-9, "%s (%s): %s self-evaluation AP %r" % (path, form, kind, ap))
            line += ", %s AP %.4f" % (kind, ap)
    print(line)


main()
