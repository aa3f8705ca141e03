#!/usr/bin/env python3
"""OpenCV reference for `aicoco measure` (used by the tests; needs opencv-python-headless and numpy).

  measure_reference.py AICOCO.json MEASURE.json [--image-size WxH] [--one-by-one]
      Every annotation's mask is cv2.fillPoly of all its contours together (one call, as FLaVor
      and cv2 fill a list of contours; --one-by-one fills each contour alone and takes the union).
      On each slice, an object's mask is the union of its annotations' masks, a category's the
      union of its objects'. Checks that MEASURE (aicoco measure --format json) gives every
      object and category exactly these pixel counts slice by slice and in total, and lists
      exactly the pairs of objects and of categories whose masks share pixels, with the shared
      pixel counts slice by slice. Prints a JSON summary; exits 1 on any difference.
"""
import json
import sys
from collections import defaultdict

import cv2
import numpy as np


def contours_of(segmentation):
    out = []
    for contour in segmentation or []:
        points = np.rint(np.asarray(contour[: len(contour) // 2 * 2], dtype=np.float64))
        if len(points):
            out.append(points.reshape(-1, 1, 2).astype(np.int32))
    return out


def main(args):
    source, measure_path = args[0], args[1]
    one_by_one = "--one-by-one" in args
    fallback = None
    if "--image-size" in args:
        fallback = tuple(int(v) for v in args[args.index("--image-size") + 1].lower().split("x"))
    document = json.load(open(source))
    measure = json.load(open(measure_path))
    images = {image["id"]: image for image in document["images"]}
    categories_of = {o["id"]: list(dict.fromkeys(o.get("category_ids") or [])) for o in document["objects"]}
    by_image = defaultdict(list)
    for annotation in document["annotations"]:
        if annotation.get("segmentation") is not None:
            by_image[annotation["image_id"]].append(annotation)

    expected = {"objects": defaultdict(dict), "categories": defaultdict(dict),
                "object_overlaps": defaultdict(dict), "category_overlaps": defaultdict(dict)}
    for image_id, annotations in by_image.items():
        image = images[image_id]
        width, height = (image["width"], image["height"]) if "width" in image and "height" in image else fallback
        index = image["index"]
        objects = {}
        for annotation in annotations:
            mask = np.zeros((height, width), dtype=np.uint8)
            contours = contours_of(annotation["segmentation"])
            if one_by_one:
                for contour in contours:
                    cv2.fillPoly(mask, [contour], 1)
            elif contours:
                cv2.fillPoly(mask, contours, 1)
            previous = objects.get(annotation["object_id"])
            objects[annotation["object_id"]] = mask if previous is None else (previous | mask)
        categories = {}
        for object_id, mask in objects.items():
            for category_id in categories_of.get(object_id, []):
                previous = categories.get(category_id)
                categories[category_id] = mask.copy() if previous is None else (previous | mask)
        for scope, masks, pairs in (("objects", objects, "object_overlaps"), ("categories", categories, "category_overlaps")):
            ids = list(masks)
            for n, a in enumerate(ids):
                count = int(np.count_nonzero(masks[a]))
                if count:
                    expected[scope][a][(index, image_id)] = count
                for b in ids[n + 1:]:
                    shared = int(np.count_nonzero(masks[a] & masks[b]))
                    if shared:
                        expected[pairs][frozenset((a, b))][(index, image_id)] = shared

    problems = []
    checked = defaultdict(int)
    for scope, key in (("objects", "object_id"), ("categories", "category_id"),
                       ("object_overlaps", "object_ids"), ("category_overlaps", "category_ids")):
        seen = set()
        for entry in measure.get(scope, []):
            name = entry[key] if isinstance(entry[key], str) else frozenset(entry[key])
            seen.add(name)
            got = {(s["index"], s["image_id"]): s["pixels"] for s in entry["slices"]}
            want = expected[scope].get(name, {})
            if got != want:
                differing = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))[:3]
                problems.append(f"{scope} {entry[key]}: slices {[(k, got.get(k), want.get(k)) for k in differing]} (measure, cv2)")
            if entry["voxels"] != sum(want.values()):
                problems.append(f"{scope} {entry[key]}: {entry['voxels']} voxels, cv2 gives {sum(want.values())}")
            if entry["slice_count"] != len(want):
                problems.append(f"{scope} {entry[key]}: slice_count {entry['slice_count']}, cv2 gives {len(want)}")
            checked[scope] += 1
        missing = [sorted(k) if isinstance(k, frozenset) else k for k in expected[scope] if k not in seen]
        if missing:
            problems.append(f"{scope}: measure leaves out {missing[:5]} ({len(missing)})")
    for problem in problems[:50]:
        print("measure_reference:", problem, file=sys.stderr)
    summary = {scope: checked[scope] for scope in expected}
    summary["voxels"] = {scope: sum(sum(v.values()) for v in expected[scope].values()) for scope in expected}
    summary["ok"] = not problems
    print(json.dumps(summary))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
