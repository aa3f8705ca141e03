#!/usr/bin/env python3
"""OpenCV reference for aicoco's rasterization (used by the tests; needs opencv-python-headless,
numpy and nibabel from scripts/requirements.txt).

  raster_reference.py contours IN.json OUT.bin
      IN.json is {"width": W, "height": H, "contours": [[x1, y1, x2, y2, ...], ...]}. Each contour
      is filled alone with cv2.fillPoly; OUT.bin gets, per contour, its pixel count (int32 LE)
      then the flat indices y * W + x of its pixels (int32 LE, ascending).

  raster_reference.py slices AICOCO.json LABELS.nii[.gz] --image-size WxH [--labels category|object]
                      [--values index|sequential]
      The same voxel-for-voxel comparison for volumes too big to hold: LABELS is read slice by
      slice (gzip streamed) and each slice compared with its annotations filled by cv2.fillPoly.

  raster_reference.py volume AICOCO.json LABELS.nii[.gz] --image-size WxH [--labels category|object]
                      [--values index|sequential]
                      [--table TABLE.json] [--measure MEASURE.json] [--spacing X,Y,Z]
      Rebuilds the label volume from the AiCOCO file with cv2.fillPoly (each annotation's contours
      filled one by one, annotations in file order, later ones over earlier ones), loads
      LABELS with nibabel and compares voxel for voxel, checks the header, and checks that the
      areas and volumes in MEASURE (aicoco measure --format json) equal the pixel counts of the
      annotations painted that way (each object with its own number), and the voxel counts of
      LABELS itself. Prints a summary; exits 1 on any difference.
"""
import json
import sys

import cv2
import numpy as np


def fill(mask, coordinates, value):
    points = np.rint(np.asarray(coordinates[: len(coordinates) // 2 * 2], dtype=np.float64))
    if len(points) == 0:
        return
    cv2.fillPoly(mask, [points.reshape(-1, 1, 2).astype(np.int32)], value)


def contours(source, target):
    spec = json.load(open(source))
    width, height = spec["width"], spec["height"]
    with open(target, "wb") as out:
        for contour in spec["contours"]:
            mask = np.zeros((height, width), dtype=np.uint8)
            fill(mask, contour, 1)
            indices = np.flatnonzero(mask).astype("<i4")
            out.write(np.array([len(indices)], dtype="<i4").tobytes())
            out.write(indices.tobytes())


def label_values(document, mode, numbering):
    """aicoco's numbering: a category's value is its class index (its position; from 1 when
    category 0 is itself a structure), or 1, 2, ... with `sequential`; supercategories and
    display: false categories take none; an object takes its first category's value that has one
    (object labels: 1, 2, ... over the objects with such a category or with none)."""
    categories = document["categories"]
    supers = {c.get("supercategory_id") for c in categories}
    shown = [c.get("display") is not False and c["id"] not in supers for c in categories]
    value_of_category = {}
    offset = 1 if shown and shown[0] else 0
    for n, c in enumerate(categories):
        if shown[n]:
            value_of_category[c["id"]] = n + offset if numbering == "index" else len(value_of_category) + 1
    value_of = {}
    for o in document["objects"]:
        valued = [value_of_category[c] for c in o.get("category_ids") or [] if c in value_of_category]
        if mode == "category":
            if valued:
                value_of[o["id"]] = valued[0]
        elif valued or not o.get("category_ids"):
            value_of[o["id"]] = len(value_of) + 1
    return value_of_category, value_of


def option(args, name, default=None):
    return args[args.index(name) + 1] if name in args else default


def volume(args):
    import nibabel

    source, nifti = args[0], args[1]
    width, height = (int(v) for v in option(args, "--image-size").lower().split("x"))
    mode = option(args, "--labels", "category")
    document = json.load(open(source))
    images = document["images"]
    order = sorted(range(len(images)), key=lambda i: (images[i]["index"], i))
    slice_of = {images[i]["id"]: z for z, i in enumerate(order)}
    categories = [c["id"] for c in document["categories"]]
    objects = document["objects"]
    value_of_category, value_of = label_values(document, mode, option(args, "--values", "index"))
    labels = max(value_of.values(), default=0)
    dtype = np.uint8 if labels < 256 else np.uint16 if labels < 65536 else np.uint32
    reference = np.zeros((len(images), height, width), dtype=dtype)
    # Every annotation painted with its object's number, whatever its categories (for measure).
    object_number = {o["id"]: n + 1 for n, o in enumerate(objects)}
    painted = np.zeros((len(images), height, width), dtype=np.uint32)
    for annotation in document["annotations"]:
        value = value_of.get(annotation["object_id"])
        z = slice_of[annotation["image_id"]]
        mask = np.zeros((height, width), dtype=np.uint8)
        for contour in annotation["segmentation"] or []:
            fill(mask, contour, 1)
        number = object_number.setdefault(annotation["object_id"], len(object_number) + 1)
        painted[z][mask == 1] = number
        if value is not None:
            reference[z][mask == 1] = value
    problems = []
    image = nibabel.load(nifti)
    header = image.header
    if image.shape != (width, height, len(images)):
        problems.append(f"shape {image.shape}, expected {(width, height, len(images))}")
    if header["intent_code"] != 1002:
        problems.append(f"intent_code {header['intent_code']}, expected 1002 (label)")
    if header.get_data_dtype() != np.dtype(dtype):
        problems.append(f"dtype {header.get_data_dtype()}, expected {np.dtype(dtype)}")
    spacing = option(args, "--spacing")
    if spacing:
        expected = [float(v) for v in spacing.split(",")]
        if not np.allclose(header.get_zooms()[:3], expected):
            problems.append(f"zooms {header.get_zooms()}, expected {expected}")
    if not problems:
        data = np.asarray(image.dataobj)
        ours = np.transpose(data, (2, 1, 0))
        differ = np.count_nonzero(ours != reference)
        if differ:
            z = int(np.argwhere(ours != reference)[0][0])
            problems.append(f"{differ} voxels differ from cv2.fillPoly (first on slice {z})")
    table_path = option(args, "--table")
    if table_path:
        table = json.load(open(table_path))
        if mode == "object":
            expected = {v: o for o, v in value_of.items()}
            got = {e["value"]: e["object_id"] for e in table["labels"]}
        else:
            expected = {v: c for c, v in value_of_category.items()}
            got = {e["value"]: e["category_id"] for e in table["labels"]}
        if got != expected:
            problems.append(f"label table {got} differs from {expected}")
    measure_path = option(args, "--measure")
    checked = 0
    if measure_path:
        measure = json.load(open(measure_path))
        index_of = {z: images[i]["index"] for z, i in enumerate(order)}
        labels_of = {o["id"]: o.get("category_ids") or [] for o in objects}
        data = np.transpose(np.asarray(image.dataobj), (2, 1, 0)) if not problems else None

        number_counts = {}
        for z in range(len(images)):
            numbers, counts = np.unique(painted[z], return_counts=True)
            for number, count in zip(numbers, counts):
                if number:
                    number_counts[(int(number), z)] = int(count)

        def expected_areas(object_ids):
            areas = {}
            numbers = {object_number[o] for o in object_ids if o in object_number}
            for (number, z), count in number_counts.items():
                if number in numbers:
                    areas[index_of[z]] = areas.get(index_of[z], 0) + count
            return areas

        for scope, key in (("objects", "object_id"), ("categories", "category_id")):
            for entry in measure[scope]:
                if scope == "objects":
                    members = {entry["object_id"]}
                else:
                    members = {o for o, c in labels_of.items() if entry["category_id"] in c}
                expected = expected_areas(members)
                got = {s["index"]: s["pixels"] for s in entry["slices"]}
                if got != expected:
                    problems.append(f"{scope} {entry[key]}: areas {got} differ from cv2's {expected}")
                if entry["voxels"] != sum(expected.values()):
                    problems.append(f"{scope} {entry[key]}: {entry['voxels']} voxels, cv2 gives {sum(expected.values())}")
                # The label volume itself: this structure's voxel count per slice.
                if data is not None and (scope == "objects") == (mode == "object"):
                    value = (value_of.get(entry["object_id"]) if scope == "objects"
                             else value_of_category.get(entry["category_id"]))
                    if value is not None:
                        counted = {index_of[z]: int(n) for z, n in enumerate((data == value).sum(axis=(1, 2))) if n}
                        if counted != got:
                            problems.append(f"{scope} {entry[key]}: areas {got} differ from the volume's voxel counts {counted}")
                checked += 1
        measured = {e["object_id"] for e in measure["objects"]}
        with_pixels = {o for o, n in object_number.items() if any(k[0] == n for k in number_counts)}
        if not with_pixels <= measured:
            problems.append("measure leaves out objects that have pixels")
    for problem in problems:
        print("raster_reference:", problem, file=sys.stderr)
    print(json.dumps({"voxels": int(reference.size), "labelled": int(np.count_nonzero(reference)),
                      "objects_checked": checked, "ok": not problems}))
    return 1 if problems else 0


def slices(args):
    import gzip

    source, nifti = args[0], args[1]
    width, height = (int(v) for v in option(args, "--image-size").lower().split("x"))
    mode = option(args, "--labels", "category")
    document = json.load(open(source))
    images = document["images"]
    order = sorted(range(len(images)), key=lambda i: (images[i]["index"], i))
    slice_of = {images[i]["id"]: z for z, i in enumerate(order)}
    categories = [c["id"] for c in document["categories"]]
    objects = document["objects"]
    value_of_category, value_of = label_values(document, mode, option(args, "--values", "index"))
    labels = max(value_of.values(), default=0)
    dtype = np.dtype("<u1") if labels < 256 else np.dtype("<u2") if labels < 65536 else np.dtype("<u4")
    by_slice = {}
    for annotation in document["annotations"]:
        by_slice.setdefault(slice_of[annotation["image_id"]], []).append(annotation)
    del document
    opener = gzip.open if nifti.endswith(".gz") else open
    differ = 0
    labelled = 0
    with opener(nifti, "rb") as volume:
        header = volume.read(4)
        if int(np.frombuffer(header, dtype="<i4")[0]) == 540:  # NIfTI-2 (a size past 32767)
            header += volume.read(540)
            dims = np.frombuffer(header[16:80], dtype="<i8")
        else:
            header += volume.read(348)
            dims = np.frombuffer(header[40:56], dtype="<i2")
        if list(dims[:4]) != [3, width, height, len(images)]:
            print(f"raster_reference: dims {list(dims[:4])}", file=sys.stderr)
            return 1
        for z in range(len(images)):
            ours = np.frombuffer(volume.read(width * height * dtype.itemsize), dtype=dtype).reshape(height, width)
            reference = np.zeros((height, width), dtype=dtype)
            for annotation in by_slice.get(z, []):
                value = value_of.get(annotation["object_id"])
                if value is None:
                    continue
                mask = np.zeros((height, width), dtype=np.uint8)
                for contour in annotation["segmentation"] or []:
                    fill(mask, contour, 1)
                reference[mask == 1] = value
            differ += int(np.count_nonzero(ours != reference))
            labelled += int(np.count_nonzero(reference))
    print(json.dumps({"slices": len(images), "labelled": labelled, "differ": differ, "ok": differ == 0}))
    return 1 if differ else 0


if __name__ == "__main__":
    if sys.argv[1] == "contours":
        contours(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "slices":
        sys.exit(slices(sys.argv[2:]))
    elif sys.argv[1] == "volume":
        sys.exit(volume(sys.argv[2:]))
    else:
        sys.exit(__doc__)
