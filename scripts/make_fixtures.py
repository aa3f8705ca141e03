#!/usr/bin/env python3
"""Regenerate Fixtures/*.json, Fixtures/broken/*.json and Fixtures/broken/expected.json.

Deterministic (seeded ids). Error positions in expected.json are computed from the
written bytes with a small position-tracking JSON scanner, and cross-checked where
Python's json module reports the same position.

Position rules: offset is the 0-based byte offset; line is 1-based; column is the
1-based byte column (offset - offset of the last '\\n' before it).
"""
import json
import math
import os
import random
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FIX = os.path.join(ROOT, "Fixtures")
BROKEN = os.path.join(FIX, "broken")
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

rng = random.Random(20240515)


def nanoid():
    return "".join(rng.choice(ALPHABET) for _ in range(21))


# ---------------------------------------------------------------- writers

def dump_pretty(doc):
    """Exactly like json.dump(doc, f, indent=2)."""
    return json.dumps(doc, indent=2)


def dump_compact(doc):
    return json.dumps(doc, separators=(",", ":"))


def dump_short(v, ind=0):
    """Indent 2, but arrays holding only scalars stay on one line (keeps files short)."""
    pad = " " * ind
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [pad + "  " + json.dumps(k) + ": " + dump_short(x, ind + 2) for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        if all(not isinstance(x, (dict, list)) for x in v):
            return "[" + ", ".join(dump_short(x) for x in v) + "]"
        items = [pad + "  " + dump_short(x, ind + 2) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(v, Raw):
        return v.text
    return json.dumps(v)


class Raw:
    """Emit text verbatim (used for a string coordinate etc. when needed)."""

    def __init__(self, text):
        self.text = text


def write(path, text):
    data = text.encode("utf-8") if isinstance(text, str) else text
    with open(path, "wb") as f:
        f.write(data)
    return data


# ---------------------------------------------------------------- position scanner

def scan_positions(b):
    """Return (valpos, keypos): path -> byte offset of the value / of the key's quote."""
    valpos, keypos = {}, {}
    i = 0
    n = len(b)

    def ws():
        nonlocal i
        while i < n and b[i] in b" \t\n\r":
            i += 1

    def string():
        nonlocal i
        assert b[i:i + 1] == b'"'
        i += 1
        while b[i:i + 1] != b'"':
            i += 2 if b[i:i + 1] == b"\\" else 1
        i += 1

    def value(path):
        nonlocal i
        ws()
        valpos[path] = i
        c = b[i:i + 1]
        if c == b"{":
            i += 1
            ws()
            if b[i:i + 1] == b"}":
                i += 1
                return
            while True:
                ws()
                kstart = i
                string()
                key = json.loads(b[kstart:i].decode("utf-8"))
                sub = path + "." + key
                keypos[sub] = kstart
                ws()
                assert b[i:i + 1] == b":"
                i += 1
                value(sub)
                ws()
                if b[i:i + 1] == b",":
                    i += 1
                    continue
                assert b[i:i + 1] == b"}"
                i += 1
                return
        if c == b"[":
            i += 1
            ws()
            if b[i:i + 1] == b"]":
                i += 1
                return
            k = 0
            while True:
                value("%s[%d]" % (path, k))
                k += 1
                ws()
                if b[i:i + 1] == b",":
                    i += 1
                    continue
                assert b[i:i + 1] == b"]"
                i += 1
                return
        if c == b'"':
            string()
            return
        while i < n and b[i:i + 1] not in (b",", b"]", b"}", b" ", b"\n", b"\t", b"\r"):
            i += 1

    value("$")
    return valpos, keypos


def line_col(b, off):
    last_nl = b.rfind(b"\n", 0, off)
    return b.count(b"\n", 0, off) + 1, off - last_nl


# ---------------------------------------------------------------- reference checker

def check_refs(doc):
    """Return a list of (kind, path, message) problems not visible to the JSON schema."""
    probs = []
    sec_ids = {}
    for sec in ("images", "annotations", "categories", "regressions", "objects"):
        seen = set()
        for i, r in enumerate(doc[sec]):
            if r["id"] in seen:
                probs.append(("reference", "$.%s[%d].id" % (sec, i), "duplicate id"))
            seen.add(r["id"])
        sec_ids[sec] = seen
    cats, regs = sec_ids["categories"], sec_ids["regressions"]

    def cat_list(lst, path):
        for j, c in enumerate(lst or []):
            if c not in cats:
                probs.append(("reference", "%s[%d]" % (path, j), "unknown category"))

    def reg_list(lst, path):
        for j, r in enumerate(lst or []):
            if r["regression_id"] not in regs:
                probs.append(("reference", "%s[%d].regression_id" % (path, j), "unknown regression"))

    for i, im in enumerate(doc["images"]):
        cat_list(im["category_ids"], "$.images[%d].category_ids" % i)
        reg_list(im["regressions"], "$.images[%d].regressions" % i)
    for i, o in enumerate(doc["objects"]):
        cat_list(o["category_ids"], "$.objects[%d].category_ids" % i)
        reg_list(o["regressions"], "$.objects[%d].regressions" % i)
    cat_list(doc["meta"]["category_ids"], "$.meta.category_ids")
    reg_list(doc["meta"]["regressions"], "$.meta.regressions")
    for i, c in enumerate(doc["categories"]):
        if c["supercategory_id"] is not None and c["supercategory_id"] not in cats:
            probs.append(("reference", "$.categories[%d].supercategory_id" % i, "unknown"))
    for i, r in enumerate(doc["regressions"]):
        if r["superregression_id"] is not None and r["superregression_id"] not in regs:
            probs.append(("reference", "$.regressions[%d].superregression_id" % i, "unknown"))
    for i, a in enumerate(doc["annotations"]):
        if a["image_id"] not in sec_ids["images"]:
            probs.append(("reference", "$.annotations[%d].image_id" % i, "unknown image"))
        if a["object_id"] not in sec_ids["objects"]:
            probs.append(("reference", "$.annotations[%d].object_id" % i, "unknown object"))
        for j, p in enumerate(a["segmentation"] or []):
            if len(p) % 2 or len(p) < 6:
                probs.append(("semantic", "$.annotations[%d].segmentation[%d]" % (i, j), "polygon"))
    return probs


# ---------------------------------------------------------------- good fixtures

def polygon(cx, cy, rx, ry, npts, jitter=0.08):
    pts = []
    for k in range(npts):
        t = 2 * math.pi * k / npts
        f = 1 + rng.uniform(-jitter, jitter)
        pts += [int(round(cx + rx * f * math.cos(t))), int(round(cy + ry * f * math.sin(t)))]
    return pts


def bbox_of(polys):
    xs = [x for p in polys for x in p[0::2]]
    ys = [y for p in polys for y in p[1::2]]
    return [min(xs), min(ys), max(xs), max(ys)]


def segmentation_series():
    study = "1.2.840.113619.2.55.3.604688119.969.1268071029"
    images = [{"id": nanoid(), "file_name": "%s.%d.%d.dcm" % (study, 320, i + 1), "index": i,
               "category_ids": None, "regressions": None} for i in range(8)]
    abdomen, liver, spleen, kidney = nanoid(), nanoid(), nanoid(), nanoid()
    categories = [
        {"id": abdomen, "name": "Abdomen", "supercategory_id": None, "color": "#808080"},
        {"id": liver, "name": "Liver", "supercategory_id": abdomen, "color": "#DC143C"},
        {"id": spleen, "name": "Spleen", "supercategory_id": abdomen, "color": "#1E90FF"},
        {"id": kidney, "name": "Kidney", "supercategory_id": abdomen, "color": "#FFD700"},
    ]
    o_liver, o_spleen, o_kid_r, o_kid_l = nanoid(), nanoid(), nanoid(), nanoid()
    objects = [
        {"id": o_liver, "category_ids": [liver], "regressions": None},
        {"id": o_spleen, "category_ids": [spleen], "regressions": None},
        {"id": o_kid_r, "category_ids": [kidney], "regressions": None},
        {"id": o_kid_l, "category_ids": [kidney], "regressions": None},
    ]
    # (image index, object, polygons spec [(cx,cy,rx,ry,npts)], bbox?)
    plan = [
        (1, o_liver, [(170, 230, 70, 55, 30)], True),
        (2, o_liver, [(168, 232, 80, 60, 24)], False),
        (3, o_liver, [(165, 235, 85, 62, 20), (230, 300, 18, 12, 6)], True),
        (4, o_liver, [(166, 238, 78, 58, 16)], True),
        (5, o_liver, [(170, 240, 60, 45, 12)], False),
        (2, o_spleen, [(360, 250, 30, 40, 10)], True),
        (3, o_spleen, [(362, 252, 34, 44, 12)], False),
        (4, o_spleen, [(360, 255, 28, 36, 8), (380, 300, 8, 6, 3)], True),
        (4, o_kid_r, [(200, 320, 22, 30, 9)], True),
        (5, o_kid_r, [(198, 322, 25, 34, 11)], True),
        (6, o_kid_r, [(200, 325, 20, 27, 7)], False),
        (4, o_kid_l, [(320, 318, 23, 31, 9)], False),
        (5, o_kid_l, [(322, 320, 26, 35, 12), (340, 350, 6, 5, 4)], True),
        (6, o_kid_l, [(321, 324, 21, 28, 8)], True),
        (7, o_kid_l, [(320, 330, 12, 15, 3)], True),
    ]
    annotations = []
    for idx, obj, specs, with_bbox in plan:
        polys = [polygon(*s) for s in specs]
        annotations.append({
            "id": nanoid(), "image_id": images[idx]["id"], "object_id": obj, "iscrowd": 0,
            "bbox": [bbox_of(polys)] if with_bbox else None,
            "segmentation": polys,
        })
    return {"images": images, "annotations": annotations, "categories": categories,
            "regressions": [], "objects": objects,
            "meta": {"category_ids": None, "regressions": None}}


def detection():
    images = [{"id": nanoid(), "file_name": "chest_%03d.png" % (i + 1), "index": i,
               "category_ids": None, "regressions": None} for i in range(3)]
    lesion, tumor, nodule = nanoid(), nanoid(), nanoid()
    categories = [
        {"id": lesion, "name": "Lesion", "supercategory_id": None},
        {"id": tumor, "name": "Tumor", "supercategory_id": lesion, "color": "#FF0000"},
        {"id": nodule, "name": "Nodule", "supercategory_id": lesion, "color": "#00FF00"},
    ]
    size = nanoid()
    regressions = [{"id": size, "name": "tumor_size", "superregression_id": None, "unit": "mm"}]
    objects, annotations = [], []
    boxes = [(0, tumor, 0.93, 23, [[112, 87, 160, 139]]),
             (0, nodule, 0.61, 8, [[301, 220, 317, 236]]),
             (1, tumor, 0.78, 17, [[98, 140, 131, 177], [102, 150, 128, 170]]),
             (2, nodule, 0.55, 5, [[400, 310, 410, 321]])]
    for img, cat, conf, mm, bb in boxes:
        oid = nanoid()
        objects.append({"id": oid, "category_ids": [cat],
                        "regressions": [{"regression_id": size, "value": mm}], "confidence": conf})
        annotations.append({"id": nanoid(), "image_id": images[img]["id"], "object_id": oid,
                            "iscrowd": 0, "bbox": bb, "segmentation": None})
    return {"images": images, "annotations": annotations, "categories": categories,
            "regressions": regressions, "objects": objects,
            "meta": {"category_ids": None, "regressions": None}}


def classification():
    pneu, nod, eff = nanoid(), nanoid(), nanoid()
    categories = [
        {"id": pneu, "name": "Pneumonia", "supercategory_id": None, "color": "#FF8C00"},
        {"id": nod, "name": "Nodule", "supercategory_id": None, "color": "#9400D3"},
        {"id": eff, "name": "Pleural effusion", "supercategory_id": None, "color": "#00CED1"},
    ]
    cats = [[pneu], None, [pneu, nod], [], None]
    images = [{"id": nanoid(), "file_name": "1.3.12.2.1107.5.1.4.%d.dcm" % (73000 + i), "index": i,
               "category_ids": cats[i], "regressions": None} for i in range(5)]
    return {"images": images, "annotations": [], "categories": categories, "regressions": [],
            "objects": [], "meta": {"category_ids": [pneu, nod], "regressions": None,
                                    "task_type": "multilabel"}}


def regression():
    bp, sbp, dbp, hr = nanoid(), nanoid(), nanoid(), nanoid()
    regressions = [
        {"id": bp, "name": "Blood pressure", "superregression_id": None},
        {"id": sbp, "name": "SBP", "superregression_id": bp, "unit": "mmHg", "threshold": "140"},
        {"id": dbp, "name": "DBP", "superregression_id": bp, "unit": "mmHg", "threshold": "90"},
        {"id": hr, "name": "Heart rate", "superregression_id": None, "unit": "bpm"},
    ]
    images = [
        {"id": nanoid(), "file_name": "ecg_0001.png", "index": 0, "category_ids": None,
         "regressions": [{"regression_id": hr, "value": 72}]},
        {"id": nanoid(), "file_name": "ecg_0002.png", "index": 1, "category_ids": None,
         "regressions": [{"regression_id": hr, "value": 75.5}]},
        {"id": nanoid(), "file_name": "ecg_0003.png", "index": 2, "category_ids": None,
         "regressions": None},
    ]
    return {"images": images, "annotations": [], "categories": [], "regressions": regressions,
            "objects": [], "meta": {"category_ids": None, "regressions": [
                {"regression_id": sbp, "value": 132}, {"regression_id": dbp, "value": 85}]}}


def extras():
    ids = {k: nanoid() for k in ("im0", "im1", "cat0", "cat1", "reg0", "obj0", "obj1", "an0", "an1", "an2")}
    text = r'''{
  "meta": {
    "task_type": "binary",
    "regressions": null,
    "category_ids": ["%(cat1)s"],
    "model": {"name": "unet-3d", "version": "1.4.0", "weights": null},
    "thresholds": [0.5, 0.25, 1.5e-3, -2E+2],
    "deterministic": true
  },
  "annotations": [
    {
      "segmentation": [[10.5, 20.25, 30, 20, 30.75, 40, 10, 40.5]],
      "id": "%(an0)s",
      "bbox": [[10, 20, 30.75, 40.5]],
      "object_id": "%(obj0)s",
      "iscrowd": 0,
      "image_id": "%(im0)s",
      "score_map": {"min": 0.0, "max": 1.0, "bins": [0, 1, 2, 3]},
      "note": "caf\u00e9 \u2014 \"quoted\"\nsecond line\ttab \\ backslash \/ slash"
    },
    {
      "image_id": "%(im1)s",
      "object_id": "%(obj1)s",
      "id": "%(an1)s",
      "iscrowd": 1,
      "bbox": null,
      "segmentation": [[100, 100, 1.25e2, 100, 125, 150], [0, 0, 1, 0, 1, 1, 0, 1]],
      "reviewed": false,
      "reviewer": null
    },
    {
      "id": "%(an2)s",
      "image_id": "%(im1)s",
      "object_id": "%(obj0)s",
      "iscrowd": 0,
      "bbox": [[0.5, 0.5, 511.5, 511.5], [-1, -2, 3, 4]],
      "segmentation": null,
      "tags": []
    }
  ],
  "objects": [
    {
      "regressions": [{"regression_id": "%(reg0)s", "value": -0.5}],
      "category_ids": ["%(cat0)s", "%(cat1)s"],
      "id": "%(obj0)s",
      "confidence": 0.875,
      "track": {"frames": [0, 1], "stable": true}
    },
    {
      "id": "%(obj1)s",
      "category_ids": null,
      "regressions": null,
      "confidence": 1
    }
  ],
  "categories": [
    {
      "supercategory_id": null,
      "name": "Ng\u01b0\u1eddi \u81ba\u810f \ud83e\udec0",
      "id": "%(cat0)s",
      "color": "#ff00AA",
      "snomed": {"code": "80891009", "display": "Heart structure"}
    },
    {
      "id": "%(cat1)s",
      "name": "Lesion\r\n(\"malignant\")",
      "supercategory_id": "%(cat0)s",
      "aliases": ["lesi\u00f3n", "\u75c5\u7076", ""],
      "empty": {}
    }
  ],
  "regressions": [
    {
      "name": "Volume",
      "unit": "mL",
      "threshold": "140",
      "superregression_id": null,
      "id": "%(reg0)s",
      "range": [0, 1e6]
    }
  ],
  "images": [
    {
      "index": 0,
      "id": "%(im0)s",
      "file_name": "1.2.840.113619.2.55.3.604688119.969.1268071029.320.1.dcm",
      "category_ids": null,
      "regressions": null,
      "series_uid": "1.2.840.113619.2.55.3.604688119.969.1268071029.320",
      "dicom": {"Rows": 512, "Columns": 512, "PixelSpacing": [0.703125, 0.703125], "Window": {"center": 40, "width": 400}},
      "acquisition_counter": 12345678901234567890,
      "exposure": 1.5e-3,
      "contrast": true,
      "comment": null,
      "patient_name": "Jos\u00e9^M\u00fcller",
      "raw_utf8": "\u00e9 and é and 日本",
      "multi_line": "line one\nline two"
    },
    {
      "file_name": "image with spaces & symbols #2.dcm",
      "regressions": [{"regression_id": "%(reg0)s", "value": 12345678901234567890}],
      "category_ids": ["%(cat0)s"],
      "id": "%(im1)s",
      "index": 1.0,
      "flags": [true, false, null, 0, -0, 0.0, "x", [], {}]
    }
  ]
}
''' % ids
    return text


def minimal():
    return {"images": [], "annotations": [], "categories": [], "regressions": [], "objects": [],
            "meta": {"category_ids": None, "regressions": None}}


# ---------------------------------------------------------------- broken fixtures

def base_small():
    """Short document used to derive broken fixtures (one problem each)."""
    im0, cat_abd, cat_liv, obj0, an0, an1 = (nanoid() for _ in range(6))
    return {
        "images": [{"id": im0, "file_name": "1.2.840.113619.2.55.3.604688119.969.1268071029.320.4.dcm",
                    "index": 0, "category_ids": None, "regressions": None}],
        "annotations": [
            {"id": an0, "image_id": im0, "object_id": obj0, "iscrowd": 0, "bbox": None,
             "segmentation": [[96, 180, 240, 176, 250, 290, 110, 300]]},
            {"id": an1, "image_id": im0, "object_id": obj0, "iscrowd": 0,
             "bbox": [[212, 280, 235, 301]],
             "segmentation": [[220, 280, 235, 290, 228, 301, 212, 295]]},
        ],
        "categories": [
            {"id": cat_abd, "name": "Abdomen", "supercategory_id": None},
            {"id": cat_liv, "name": "Liver", "supercategory_id": cat_abd},
        ],
        "regressions": [],
        "objects": [{"id": obj0, "category_ids": [cat_liv], "regressions": None}],
        "meta": {"category_ids": None, "regressions": None},
    }


def build_broken():
    """Return dict name -> (bytes, expected-entry-without-line/col)."""
    out = {}

    def doc_case(name, kind, mutate, path, contains, key=False, obj_path=None):
        d = base_small()
        mutate(d)
        data = (dump_short(d) + "\n").encode("utf-8")
        vp, kp = scan_positions(data)
        off = kp[path] if key else vp[obj_path or path]
        out[name] = (data, {"kind": kind, "offset": off, "path": path, "contains": contains}, d)

    def text_case(name, kind, mutate_text, offset_fn, path, contains):
        d = base_small()
        text = mutate_text((dump_short(d) + "\n").encode("utf-8"))
        out[name] = (text, {"kind": kind, "offset": offset_fn(text), "path": path,
                            "contains": contains}, None)

    # --- syntax
    def truncate(b):
        i = b.index(b"[220, 280, 235, 2")
        return b[: i + len(b"[220, 280, 235, 2")]          # cut inside the number 290
    text_case("syntax-truncated.json", "syntax", truncate, len, "$.annotations[1].segmentation[0]", "end")

    def missing_comma(b):
        return b.replace(b'"iscrowd": 0,\n      "bbox": null', b'"iscrowd": 0\n      "bbox": null', 1)
    text_case("syntax-missing-comma.json", "syntax", missing_comma,
              lambda b: b.index(b'"bbox": null'), "$.annotations[0]", "expected")

    def garbage(b):
        return b + b"}\n"
    text_case("syntax-trailing-garbage.json", "syntax", garbage, lambda b: len(b) - 2, "$", "trailing")

    def bad_literal(d):
        d["images"][0]["category_ids"] = Raw("tru")
    d = base_small()
    bad_literal(d)
    data = (dump_short(d) + "\n").encode("utf-8")
    out["syntax-bad-literal.json"] = (data, {"kind": "syntax", "offset": data.index(b"tru,") + 3,
                                             "path": "$.images[0].category_ids", "contains": "literal"}, None)

    d = base_small()
    d["annotations"][0]["segmentation"][0][2] = Raw("NaN")
    data = (dump_short(d) + "\n").encode("utf-8")
    out["syntax-nan.json"] = (data, {"kind": "syntax", "offset": data.index(b"NaN"),
                                     "path": "$.annotations[0].segmentation[0][2]", "contains": "unexpected"}, None)

    def formfeed(b):
        i = b.rindex(b'"iscrowd": 0') + len(b'"iscrowd":')   # annotations[1]
        return b[:i] + b"\x0c" + b[i + 1:]
    text_case("syntax-formfeed.json", "syntax", formfeed, lambda b: b.index(b"\x0c"),
              "$.annotations[1].iscrowd", "unexpected")

    def bad_utf8(b):
        return b.replace(b'"name": "Liver"', b'"name": "Liv\xffer"', 1)
    text_case("syntax-invalid-utf8.json", "syntax", bad_utf8, lambda b: b.index(b"\xff"),
              "$.categories[1].name", "utf-8")

    out["syntax-top-not-object.json"] = (b"[]\n", {"kind": "schema", "offset": 0, "path": "$",
                                                  "contains": "object"}, None)

    # --- schema
    doc_case("schema-missing-image-id.json", "schema",
             lambda d: d["annotations"][1].pop("image_id"), "$.annotations[1]", "image_id")
    doc_case("schema-iscrowd-2.json", "schema",
             lambda d: d["annotations"][0].__setitem__("iscrowd", 2), "$.annotations[0].iscrowd", "iscrowd")
    doc_case("schema-bbox-3-numbers.json", "schema",
             lambda d: d["annotations"][1].__setitem__("bbox", [[212, 280, 235]]), "$.annotations[1].bbox[0]", "4")
    doc_case("schema-string-coordinate.json", "schema",
             lambda d: d["annotations"][1]["segmentation"][0].__setitem__(3, "290"),
             "$.annotations[1].segmentation[0][3]", "number")
    doc_case("schema-index-string.json", "schema",
             lambda d: d["images"][0].__setitem__("index", "0"), "$.images[0].index", "number")
    doc_case("schema-null-file-name.json", "schema",
             lambda d: d["images"][0].__setitem__("file_name", None), "$.images[0].file_name", "string")
    doc_case("schema-bad-task-type.json", "schema",
             lambda d: d["meta"].__setitem__("task_type", "multi-label"), "$.meta.task_type", "task_type")

    def unknown_key(d):
        d["info"] = "flavor 1.0"
    doc_case("schema-unknown-top-key.json", "schema", unknown_key, "$.info", "info", key=True)
    doc_case("schema-missing-meta-section.json", "schema", lambda d: d.pop("meta"), "$", "meta")

    def extra_item_key(d):
        rid = nanoid()
        d["annotations"].pop()  # keep the file short
        d["regressions"] = [{"id": rid, "name": "Liver volume", "superregression_id": None, "unit": "mL"}]
        d["objects"][0]["regressions"] = [{"regression_id": rid, "value": 1530, "unit": "mL"}]
    doc_case("schema-regression-item-extra-key.json", "schema", extra_item_key,
             "$.objects[0].regressions[0]", "unit")

    # --- semantic / reference
    doc_case("semantic-odd-polygon.json", "semantic",
             lambda d: d["annotations"][0]["segmentation"][0].pop(), "$.annotations[0].segmentation[0]", "polygon")
    dangling = nanoid()
    doc_case("reference-dangling-image-id.json", "reference",
             lambda d: d["annotations"][1].__setitem__("image_id", dangling), "$.annotations[1].image_id", dangling)
    dangling2 = nanoid()
    doc_case("reference-dangling-object-id.json", "reference",
             lambda d: d["annotations"][0].__setitem__("object_id", dangling2), "$.annotations[0].object_id", dangling2)
    dangling3 = nanoid()
    doc_case("reference-unknown-category.json", "reference",
             lambda d: d["objects"][0].__setitem__("category_ids", [dangling3]), "$.objects[0].category_ids[0]", dangling3)
    doc_case("reference-duplicate-annotation-id.json", "reference",
             lambda d: d["annotations"][1].__setitem__("id", d["annotations"][0]["id"]), "$.annotations[1].id", "duplicate")
    return out


# ---------------------------------------------------------------- main

def main():
    import jsonschema
    schema_path = os.environ.get("AICOCO_SCHEMA") or os.path.join(ROOT, "spec", "aicoco.schema.json")
    with open(schema_path) as f:
        validator = jsonschema.Draft7Validator(json.load(f))
    os.makedirs(BROKEN, exist_ok=True)

    good = {
        "segmentation-series.json": dump_pretty(segmentation_series()) + "\n",
        "detection.json": dump_compact(detection()),
        "classification.json": dump_pretty(classification()) + "\n",
        "regression.json": dump_pretty(regression()) + "\n",
        "extras.json": extras(),
        "minimal.json": dump_pretty(minimal()) + "\n",
    }
    for name, text in good.items():
        data = write(os.path.join(FIX, name), text)
        doc = json.loads(data)
        errs = list(validator.iter_errors(doc))
        assert not errs, (name, errs[0])
        assert not check_refs(doc), (name, check_refs(doc))
        for sec in ("images", "annotations", "categories", "regressions", "objects"):
            for r in doc[sec]:
                assert len(r["id"]) == 21 and all(c in ALPHABET for c in r["id"]), (name, r["id"])

    expected = {}
    for name, (data, entry, doc) in sorted(build_broken().items()):
        write(os.path.join(BROKEN, name), data)
        assert data.count(b"\n") <= 60, name
        line, col = line_col(data, entry["offset"])
        expected[name] = {"kind": entry["kind"], "offset": entry["offset"], "line": line, "column": col,
                          "path": entry["path"], "contains": entry["contains"]}
        # cross-checks
        kind = entry["kind"]
        if kind == "syntax":
            try:
                json.loads(data.decode("utf-8"), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
                raise AssertionError(name + " parsed")
            except json.JSONDecodeError as e:
                # Python reports a literal error at the literal's start; our rule is the first bad byte.
                if name != "syntax-bad-literal.json":
                    assert e.pos == entry["offset"], (name, e.pos, entry["offset"])
            except (ValueError, UnicodeDecodeError):
                pass
        else:
            parsed = json.loads(data)
            errs = list(validator.iter_errors(parsed))
            if kind == "schema":
                assert len(errs) == 1, (name, [e.message for e in errs])
            else:
                assert not errs, (name, errs[0].message)
                probs = check_refs(parsed)
                assert len(probs) == 1 and probs[0][:2] == (kind, entry["path"]), (name, probs)
    with open(os.path.join(BROKEN, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")
    print("wrote %d good, %d broken fixtures" % (len(good), len(expected)))


if __name__ == "__main__":
    sys.exit(main())
