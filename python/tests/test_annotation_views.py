"""batch.annotation_coordinates(): one numpy view per annotation, made in one native call
(aicoco_views, through numpy's C API), the same arrays as slices of `coordinates` would be, and
valid for as long as the caller holds them (their buffer is never lent again before)."""
import gc
import sys

import numpy as np
import pytest

import aicoco
from aicoco import _annotations
from conftest import FIXTURES

SERIES = FIXTURES / "segmentation-series.json"


def expected_views(batch):
    ends = batch.polygon_offsets[batch.annotation_offsets].tolist()
    return [batch.coordinates[ends[i]:ends[i + 1]] for i in range(len(batch))]


def assert_same_views(views, expected, coordinates):
    assert len(views) == len(expected)
    for view, slice_ in zip(views, expected):
        assert type(view) is np.ndarray and view.dtype == np.float64 and view.ndim == 1
        assert view.shape == slice_.shape and view.strides == (8,)
        assert view.base is coordinates
        assert view.flags.c_contiguous and view.flags.aligned and not view.flags.owndata
        assert view.flags.writeable == coordinates.flags.writeable
        assert view.__array_interface__["data"][0] == slice_.__array_interface__["data"][0]
        assert np.array_equal(view, slice_)


def test_the_native_views_are_made():
    next(iter(aicoco.annotations(SERIES)))
    assert _annotations._PYTHON_API is not None  # numpy's C API table was found


@pytest.mark.parametrize("threads,batch", [(1, 262144), (1, 64), (2, 4096)])
def test_each_annotation_is_a_view_of_its_numbers(generated, threads, batch):
    for path in [SERIES, generated[0], generated[1], generated[3]]:
        annotations = points = 0
        for each in aicoco.annotations(path, batch=batch, threads=threads, _split_bytes=65536 if threads > 1 else 0):
            views = list(each.annotation_coordinates())
            assert_same_views(views, expected_views(each), each.coordinates)
            assert all(np.array_equal(view, each.coordinates_of(i)) for i, view in enumerate(views))
            annotations += len(views)
            points += sum(view.size for view in views) // 2
        stats = aicoco.stats(path)
        assert (annotations, points) == (stats["annotations"], stats["points"])


def test_annotations_without_numbers_are_empty_views():
    # A detection file: boxes only, every annotation's view is empty (the batch may hold no numbers).
    for batch in aicoco.annotations(FIXTURES / "flavor" / "flavor-detection.json"):
        views = list(batch.annotation_coordinates())
        assert len(views) == len(batch) and all(view.size == 0 for view in views)
        assert_same_views(views, expected_views(batch), batch.coordinates)


def test_views_kept_hold_their_numbers_while_later_buffers_are_lent_again(generated):
    # The views keep their batch's coordinates (their base), so its buffer is not given back to
    # the library, nor lent to a later batch, while any view is held.
    kept, copies = [], []
    for index, batch in enumerate(aicoco.annotations(generated[0], batch=2048, threads=2, _split_bytes=65536)):
        for position, view in enumerate(batch.annotation_coordinates()):
            if (index + position) % 7 == 0:
                kept.append(view)
                copies.append(view.copy())
    del batch, view
    gc.collect()
    assert len(kept) > 50
    for view, copy in zip(kept, copies):
        assert np.array_equal(view, copy)


def test_views_leak_no_reference(generated):
    batch = next(iter(aicoco.annotations(generated[0], threads=1)))
    coordinates, dtype = batch.coordinates, batch.coordinates.dtype
    before = sys.getrefcount(coordinates), sys.getrefcount(dtype)
    for _ in range(20):
        views = list(batch.annotation_coordinates())
        assert set(map(sys.getrefcount, views)) == {2}  # the list's and the call's
    assert sys.getrefcount(coordinates) == before[0] + len(views)
    del views
    assert (sys.getrefcount(coordinates), sys.getrefcount(dtype)) == before


def test_without_the_native_views_slices_are_made(generated, monkeypatch):
    # The fallback when numpy's C API table is not found: the same arrays, as slices.
    batches = list(aicoco.annotations(generated[0], batch=8192, threads=1))
    native = [list(batch.annotation_coordinates()) for batch in batches]
    monkeypatch.setattr(_annotations, "_PYTHON_API", None)
    for batch, views in zip(batches, native):
        sliced = list(batch.annotation_coordinates())
        assert_same_views(views, sliced, batch.coordinates)


def test_an_iterator_left_part_way_lets_go_of_the_batch(generated):
    # Each view is made when asked for; an iterator dropped part way frees what it holds (the
    # coordinates, the dtype) and the views already taken stay valid.
    batch = next(iter(aicoco.annotations(generated[0], threads=1)))
    coordinates, dtype = batch.coordinates, batch.coordinates.dtype
    expected = expected_views(batch)
    before = sys.getrefcount(coordinates), sys.getrefcount(dtype)
    views = batch.annotation_coordinates()
    first, second = next(views), next(views)
    del views
    gc.collect()
    assert (sys.getrefcount(coordinates), sys.getrefcount(dtype)) == (before[0] + 2, before[1] + 2)
    assert_same_views([first, second], expected[:2], coordinates)
    # Two iterators of one batch go their own ways.
    one, two = batch.annotation_coordinates(), batch.annotation_coordinates()
    assert np.array_equal(next(one), expected[0]) and np.array_equal(next(two), expected[0])
    assert len(list(one)) == len(batch) - 1 and len(list(two)) == len(batch) - 1
