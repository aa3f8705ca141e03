#!/usr/bin/env python3
"""Print reference statistics for one AiCOCO file as a JSON object.

Usage: reference_stats.py FILE

Keys (all integers): images, annotations, categories, regressions, objects,
polygons (segmentation polygons summed over annotations; null counts 0),
points (sum of len(polygon)//2), bboxes ([x1,y1,x2,y2] entries over all
annotations; null counts 0), bytes (file size).
"""
import json
import os
import sys


def stats(path):
    with open(path, "rb") as f:
        data = f.read()
    doc = json.loads(data)
    polygons = points = bboxes = 0
    for ann in doc["annotations"]:
        for poly in ann.get("segmentation") or []:
            polygons += 1
            points += len(poly) // 2
        bboxes += len(ann.get("bbox") or [])
    return {
        "images": len(doc["images"]),
        "annotations": len(doc["annotations"]),
        "categories": len(doc["categories"]),
        "regressions": len(doc["regressions"]),
        "objects": len(doc["objects"]),
        "polygons": polygons,
        "points": points,
        "bboxes": bboxes,
        "bytes": len(data),
    }


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s FILE\n" % os.path.basename(argv[0]))
        return 2
    print(json.dumps(stats(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
