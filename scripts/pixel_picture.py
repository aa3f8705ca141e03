#!/usr/bin/env python3
"""Draw and check the README's pixel-conventions picture (docs/pixels.png, docs/pixels-render.svg).

One slice of a FLaVor segmentation output, three ways, which must agree pixel for pixel:
  1. cv2.fillPoly of FLaVor's own contours (points are the centres of boundary pixels, as
     cv2.findContours traced them, so this is the model's mask): the reference;
  2. `aicoco convert --to nifti`, the slice read back with nibabel (voxel i, j, k is column i,
     row j of the k-th image by index, so the slice is data[:, :, k].T);
  3. `aicoco convert --to coco`, each annotation of the slice through pycocotools' annToMask.
Composites are painted in file order, later over earlier (`--overlap last`), with the label
values of the NIfTI table (a category's class index, its position in `categories`). Every
annotation's annToMask must also equal cv2.fillPoly of its own contours, and the SVG of
`aicoco render` must draw exactly the slice's contours, through pixel centres (x + 0.5, y + 0.5).

Usage: .venv/bin/python scripts/pixel_picture.py PATH/TO/aicoco [--index 12] [--out docs]
(paths from the repository's root, wherever it is run from)
Exit 0 when everything agrees (the picture is written), 1 on any disagreement.
"""
import argparse
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile

import cv2
import nibabel
import numpy as np
from pycocotools.coco import COCO

FIXTURE = "Fixtures/flavor/flavor-seg3d-noisy.json"
SIZE = 512  # FLaVor's images do not say their size; the CT slices are 512x512


def run(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"pixel_picture: {binary} {' '.join(args)}: exit {result.returncode}\n{result.stderr}")
    return result.stdout


def fill(contours):
    """The model's mask of one annotation: one cv2.fillPoly call over all its contours."""
    mask = np.zeros((SIZE, SIZE), np.uint8)
    polys = [np.asarray(c, np.int32).reshape(-1, 2) for c in contours]
    cv2.fillPoly(mask, polys, 1)
    return mask.astype(bool)


def hex_bgr(color):
    color = color.lstrip("#")
    r, g, b = (int(color[i:i + 2], 16) for i in (0, 2, 4))
    return (b, g, r)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary", help="the aicoco binary to check")
    ap.add_argument("--index", type=int, default=12, help="image index of the slice (default 12: all five structures)")
    ap.add_argument("--input", default=FIXTURE)
    ap.add_argument("--out", default="docs", help="directory for pixels.png and pixels-render.svg")
    ap.add_argument("--window", type=int, default=128, help="side of the square crop in pixels (0: the structures' bounding region)")
    ap.add_argument("--scale", type=int, default=4, help="nearest-neighbour enlargement")
    opts = ap.parse_args()
    binary = os.path.abspath(opts.binary) if os.sep in opts.binary else opts.binary
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # paths from the repository's root

    doc = json.load(open(opts.input))
    categories = doc["categories"]
    objects = {o["id"]: o for o in doc["objects"]}
    images = sorted(doc["images"], key=lambda i: i["index"])
    k = next(n for n, i in enumerate(images) if i["index"] == opts.index)
    image_id = images[k]["id"]
    anns = [a for a in doc["annotations"] if a["image_id"] == image_id and a["segmentation"]]

    # Label values as the docs state them: class index = position in categories; a file whose
    # class 0 is a structure (not {"name": "Background", "display": false}) counts from 1.
    supers = {c["supercategory_id"] for c in categories if c.get("supercategory_id")}
    base = 0 if categories[0].get("display") is False else 1
    value = {c["id"]: n + base for n, c in enumerate(categories) if c["id"] not in supers and c.get("display", True) is not False}
    colors = {value[c["id"]]: hex_bgr(c["color"]) for c in categories if c["id"] in value}
    names = {value[c["id"]]: c["name"] for c in categories if c["id"] in value}

    def label(ann):
        return next(value[c] for c in objects[ann["object_id"]]["category_ids"] if c in value)

    failures = []
    with tempfile.TemporaryDirectory(prefix="pixel-picture-") as tmp:
        nii = os.path.join(tmp, "labels.nii.gz")
        run(binary, "convert", "--to", "nifti", "--image-size", f"{SIZE}x{SIZE}", "-o", nii, opts.input)
        table = json.load(open(os.path.join(tmp, "labels.labels.json")))
        volume = np.asarray(nibabel.load(nii).dataobj)
        coco_path = os.path.join(tmp, "coco.json")
        run(binary, "convert", "--to", "coco", "--image-size", f"{SIZE}x{SIZE}", "-o", coco_path, opts.input)
        rendered = os.path.join(tmp, "render.svg")
        run(binary, "render", "--index", str(opts.index), "--image-size", f"{SIZE}x{SIZE}", "-o", rendered, opts.input)
        svg = open(rendered).read()
        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools' "loading annotations..."
            coco = COCO(coco_path)

    try:
        table_values = {t["category_id"]: t["value"] for t in table["labels"]}
    except (KeyError, TypeError):
        table_values = f"unreadable ({json.dumps(table)[:80]}...)"
    if table_values != value:
        failures.append(f"label table {table_values} differs from the class indices {value}")

    # (a) reference: cv2.fillPoly of FLaVor's contours, painted in file order, later over earlier.
    reference = np.zeros((SIZE, SIZE), np.uint8)
    own = {}
    for ann in anns:
        own[ann["id"]] = fill(ann["segmentation"])
        reference[own[ann["id"]]] = label(ann)

    # (b) NIfTI slice k: data[i, j, k] is column i, row j, so transpose to rows x columns.
    nifti = volume[:, :, k].T

    # (c) COCO: annToMask per annotation of the image, painted in the file's order.
    coco_image = next(i for i in coco.dataset["images"] if i["aicoco_id"] == image_id)
    order = {a["id"]: n for n, a in enumerate(anns)}
    coco_anns = sorted(coco.loadAnns(coco.getAnnIds(imgIds=[coco_image["id"]])), key=lambda a: order[a["aicoco_id"]])
    coco_names = {c["id"]: c["name"] for c in coco.dataset["categories"]}
    name_value = {n: v for v, n in names.items()}
    annmask = np.zeros((SIZE, SIZE), np.uint8)
    ious = []
    for ca in coco_anns:
        m = coco.annToMask(ca).astype(bool)
        ref = own[ca["aicoco_id"]]
        union = np.logical_or(m, ref).sum()
        ious.append(np.logical_and(m, ref).sum() / union if union else 1.0)
        if not np.array_equal(m, ref):
            failures.append(f"annotation {ca['aicoco_id']}: annToMask {m.sum()} px, cv2.fillPoly {ref.sum()} px")
        if ca["area"] != ref.sum():
            failures.append(f"annotation {ca['aicoco_id']}: area {ca['area']}, cv2.fillPoly {ref.sum()} px")
        annmask[m] = name_value[coco_names[ca["category_id"]]]
    if len(coco_anns) != len(anns):
        failures.append(f"{len(coco_anns)} COCO annotations on the slice, {len(anns)} in the file")

    print(f"{opts.input} index {opts.index} (slice k={k}): {len(anns)} annotations, "
          f"{sum(len(a['segmentation']) for a in anns)} contours; per-annotation IoU annToMask vs cv2.fillPoly: "
          f"min {min(ious):.3f}, {sum(i == 1.0 for i in ious)}/{len(ious)} equal")
    print(f"{'value':>5} {'label':<8} {'cv2.fillPoly':>12} {'NIfTI':>8} {'annToMask':>9}")
    for v in sorted(names):
        counts = [int((img == v).sum()) for img in (reference, nifti, annmask)]
        print(f"{v:>5} {names[v]:<8} {counts[0]:>12} {counts[1]:>8} {counts[2]:>9}")
        for what, img in (("NIfTI", nifti), ("annToMask", annmask)):
            if not np.array_equal(img == v, reference == v):
                failures.append(f"{names[v]}: {what} differs from cv2.fillPoly in {int(((img == v) != (reference == v)).sum())} pixels")
    if not np.array_equal(nifti, reference) or not np.array_equal(annmask, reference):
        failures.append("the composites differ (background included)")

    # The SVG draws each contour through pixel centres: its paths are the contours shifted by 0.5.
    svg_path = os.path.join(opts.out, "pixels-render.svg")
    drawn = sorted(tuple(float(v) - 0.5 for v in re.findall(r"-?[0-9.]+", d)) for d in re.findall(r'<path d="([^"]*)"', svg))
    given = sorted(tuple(float(v) for v in c) for a in anns for c in a["segmentation"])
    if drawn != given:
        failures.append(f"{svg_path}: {len(drawn)} paths, not the slice's {len(given)} contours through pixel centres")
    else:
        print(f"{svg_path}: {len(drawn)} paths, the slice's contours through pixel centres (x + 0.5, y + 0.5), {len(svg)} bytes")

    if failures:
        print("pixel_picture: DISAGREEMENT", *failures, sep="\n  ", file=sys.stderr)
        return 1

    # The picture: crop, enlarge, three captioned panels side by side. The structures' bounding
    # region (--window 0) is most of a CT slice, too wide to show single pixels, so by default the
    # crop is the square window (step 8) holding the most distinct labels, then the most label edges.
    if opts.window:
        edges = np.zeros((SIZE, SIZE), np.int32)
        edges[:, 1:] += reference[:, 1:] != reference[:, :-1]
        edges[1:, :] += reference[1:, :] != reference[:-1, :]
        w, best = opts.window, None
        for y in range(0, SIZE - w + 1, 8):
            for x in range(0, SIZE - w + 1, 8):
                win = reference[y:y + w, x:x + w]
                present = sum(int((win == v).sum()) >= 20 for v in names)
                score = (present, int(edges[y:y + w, x:x + w].sum()))
                if best is None or score > best[0]:
                    best = (score, y, x)
        _, y0, x0 = best
        y1, x1 = y0 + w, x0 + w
    else:
        ys, xs = np.nonzero(reference)
        pad = 6
        y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, SIZE)
        x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, SIZE)
    lut = np.zeros((256, 3), np.uint8)
    for v, bgr in colors.items():
        lut[v] = bgr
    band = 24

    def panel(labels, caption):
        rgb = lut[labels[y0:y1, x0:x1]]
        rgb = cv2.resize(rgb, None, fx=opts.scale, fy=opts.scale, interpolation=cv2.INTER_NEAREST)
        head = np.full((band, rgb.shape[1], 3), 255, np.uint8)
        cv2.putText(head, caption, (6, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        return np.vstack([head, rgb])

    gap = np.full((band + (y1 - y0) * opts.scale, 4, 3), 255, np.uint8)
    row = np.hstack([panel(reference, "cv2.fillPoly of FLaVor's contours"), gap,
                     panel(nifti, "NIfTI (nibabel)"), gap,
                     panel(annmask, "COCO annToMask (pycocotools)")])
    legend = np.full((band, row.shape[1], 3), 255, np.uint8)
    x = 6
    for v in sorted(names):
        cv2.rectangle(legend, (x, 6), (x + 12, 18), colors[v], -1)
        text = f"{v} {names[v]}"
        cv2.putText(legend, text, (x + 16, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        x += 26 + cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)[0][0]
    note = f"index {opts.index}, x {x0}-{x1 - 1}, y {y0}-{y1 - 1}, x{opts.scale}: equal pixel for pixel"
    cv2.putText(legend, note, (x + 10, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (90, 90, 90), 1, cv2.LINE_AA)
    with open(svg_path, "w") as out:  # written only when everything agrees, as the PNG
        out.write(svg)
    png = os.path.join(opts.out, "pixels.png")
    cv2.imwrite(png, np.vstack([row, legend]), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"{png}: {row.shape[1]}x{row.shape[0] + band}, {os.path.getsize(png)} bytes "
          f"(crop x {x0}-{x1 - 1}, y {y0}-{y1 - 1}, x{opts.scale})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
