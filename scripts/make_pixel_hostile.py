#!/usr/bin/env python3
"""Hostile inputs for the pixel commands (measure, convert --to nifti, render): issue 20's cases.

    python3 scripts/make_pixel_hostile.py CASE SCALE > FILE.json

SCALE multiplies what grows (images, annotations, coordinates' reach); scripts/hostile-pixels.sh
runs each case at SCALE and 2 x SCALE to check that time follows the input.

Cases:
  apart      images of 512x512, 20 objects each with one small contour on every image, in
             FLaVor's order (annotations object by object: a slice's annotations lie apart);
             SCALE images.
  tiny       SCALE images of 2x2 with one annotation each (convert --to nifti's slices).
  crowd      one 512x512 image with SCALE small annotations (render's one slice).
  far        one 64x48 image, one triangle reaching SCALE pixels out (clipping: time must not
             follow the coordinates' magnitude).
  huge       one image of 999999999 x 999999999 with a small square (SCALE is ignored).
  many-big   48 x SCALE images of 20000x20000 in a few KB, a small square on each.
  objects    one 512x512 image, SCALE objects with one small triangle each, packed so that
             neighbours overlap (measure's overlapping pairs: about 9 per object).
  wide       one image of 20000x4, SCALE triangles across it (each about 25 bytes of
             input and 40 KB of COCO RLE: what convert --to coco holds per thread).
  slices     SCALE images of 2x2, one triangle on the last (past NIfTI-1's 32767 slices from
             32768: a NIfTI-2 header, never a clamped one).
  broad      one image of SCALE x 2, a triangle at its far end (past 32767 columns: NIfTI-2).
  unsized    one image without a size, a small square (SCALE is ignored; run with
             --image-size 100000x100000).
  odd, duplicate, dangling
             SCALE images of 2x2 with one annotation each, then one invalid annotation (a
             polygon of odd length, an id used before, an object that does not exist): exit 1,
             nothing written, in time linear in what comes before it.
  boxes      SCALE images of 512x512 with one box each and no segmentation (a detection
             output): measure and convert --to nifti exit 1 saying so.
"""
import sys


def document(images, annotations, objects):
    return ('{"images":[' + ",".join(images) + '],"annotations":[' + ",".join(annotations)
            + '],"categories":[{"id":"c","name":"Organ","supercategory_id":null,"color":"#ff0000"}],'
            + '"regressions":[],"objects":[' + ",".join(objects) + '],'
            + '"meta":{"category_ids":null,"regressions":null}}\n')


def image(number, width=None, height=None):
    size = "" if width is None else f',"width":{width},"height":{height}'
    return (f'{{"id":"i{number}","file_name":"{number}.dcm","index":{number},'
            f'"category_ids":null,"regressions":null{size}}}')


def annotation(number, image_number, object_id, polygon):
    return (f'{{"id":"a{number}","image_id":"i{image_number}","object_id":"{object_id}",'
            f'"iscrowd":0,"bbox":null,"segmentation":[{polygon}]}}')


def box(number, image_number, object_id, x, y):
    return (f'{{"id":"a{number}","image_id":"i{image_number}","object_id":"{object_id}",'
            f'"iscrowd":0,"bbox":[[{x},{y},{x + 20},{y + 10}]],"segmentation":null}}')


def obj(object_id):
    return f'{{"id":"{object_id}","category_ids":["c"],"regressions":null}}'


def main():
    case, scale = sys.argv[1], int(sys.argv[2])
    if case == "apart":
        objects = 20
        images = [image(n, 512, 512) for n in range(scale)]
        annotations = []
        for o in range(objects):
            x, y = 20 * o + 5, 20 * o + 5
            for n in range(scale):
                annotations.append(annotation(len(annotations), n, f"o{o}",
                                              f"[{x},{y},{x + 12},{y},{x + 12},{y + 9},{x},{y + 9}]"))
        text = document(images, annotations, [obj(f"o{o}") for o in range(objects)])
    elif case == "tiny":
        text = document([image(n, 2, 2) for n in range(scale)],
                        [annotation(n, n, "o", "[0,0,1,0,1,1]") for n in range(scale)], [obj("o")])
    elif case == "crowd":
        annotations = [annotation(n, 0, "o", f"[{n % 500},{n % 499},{n % 500 + 3},{n % 499},{n % 500},{n % 499 + 3}]")
                       for n in range(scale)]
        text = document([image(0, 512, 512)], annotations, [obj("o")])
    elif case == "far":
        text = document([image(0, 64, 48)],
                        [annotation(0, 0, "o", f"[{-scale},{-scale},{scale},5,5,{scale}]")], [obj("o")])
    elif case == "huge":
        text = document([image(0, 999999999, 999999999)],
                        [annotation(0, 0, "o", "[0,0,9,0,9,9,0,9]")], [obj("o")])
    elif case == "many-big":
        count = 48 * scale
        text = document([image(n, 20000, 20000) for n in range(count)],
                        [annotation(n, n, "o", "[19990,19990,19999,19990,19999,19999,19990,19999]")
                         for n in range(count)], [obj("o")])
    elif case == "objects":
        annotations = [annotation(n, 0, f"o{n}", f"[{n % 500},{n % 499},{n % 500 + 2},{n % 499},{n % 500},{n % 499 + 2}]")
                       for n in range(scale)]
        text = document([image(0, 512, 512)], annotations, [obj(f"o{n}") for n in range(scale)])
    elif case == "wide":
        text = document([image(0, 20000, 4)],
                        [annotation(n, 0, "o", "[0,0,19999,3,0,3]") for n in range(scale)], [obj("o")])
    elif case == "slices":
        text = document([image(n, 2, 2) for n in range(scale)],
                        [annotation(0, scale - 1, "o", "[0,0,1,0,1,1]")], [obj("o")])
    elif case == "broad":
        text = document([image(0, scale, 2)],
                        [annotation(0, 0, "o", f"[{scale - 10},0,{scale - 1},0,{scale - 1},1]")], [obj("o")])
    elif case == "unsized":
        text = document([image(0)], [annotation(0, 0, "o", "[0,0,9,0,9,9,0,9]")], [obj("o")])
    elif case in ("odd", "duplicate", "dangling"):
        annotations = [annotation(n, n, "o", "[0,0,1,0,1,1]") for n in range(scale)]
        number, object_id, polygon = scale, "o", "[0,0,1,0,1,1]"
        if case == "odd":
            polygon = "[0,0,1,0,1]"
        elif case == "duplicate":
            number = 0
        else:
            object_id = "nowhere"
        annotations.append(annotation(number, scale - 1, object_id, polygon))
        text = document([image(n, 2, 2) for n in range(scale)], annotations, [obj("o")])
    elif case == "boxes":
        text = document([image(n, 512, 512) for n in range(scale)],
                        [box(n, n, "o", n % 400, n % 300) for n in range(scale)], [obj("o")])
    else:
        sys.exit(f"unknown case {case}")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
