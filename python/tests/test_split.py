"""A big file's annotations parsed among threads and handed over in file order; a stopped split
read again in order; progress during the catalog-only pass of `resolve=True`."""
import os
import subprocess

import numpy as np
import pytest

import aicoco
from conftest import FIXTURES, fixture_files

BATCH = 262144  # the default batch: a batch is full at BATCH numbers or BATCH // 16 annotations


@pytest.fixture(scope="module")
def big(cli, tmp_path_factory):
    """A generated noisy file above the split's 16 MiB minimum."""
    path = tmp_path_factory.mktemp("split") / "big.json"
    with open(path, "wb") as out:
        subprocess.run([cli, "generate", "--bytes", "24M", "--shape", "noisy", "--seed", "7"], stdout=out, check=True)
    return path


def _read(source, **options):
    """Every column of every batch, joined (None when there is no annotation), each batch's
    (annotations, numbers), and the error that stopped the reading as a tuple (or None)."""
    parts = {}
    sizes = []
    error = None
    try:
        for batch in aicoco.annotations(source, **options):
            assert batch.start == sum(count for count, _ in sizes)
            sizes.append((len(batch), batch.coordinates.size))
            for name, column in (("coordinates", batch.coordinates), ("polygons", np.diff(batch.polygon_offsets)),
                                 ("annotations", np.diff(batch.annotation_offsets)), ("bboxes", batch.bboxes.ravel()),
                                 ("boxes", np.diff(batch.bbox_offsets)), ("iscrowd", batch.iscrowd),
                                 ("null", batch.segmentation_null), ("ids", batch.ids),
                                 ("image_ids", batch.image_ids), ("object_ids", batch.object_ids)):
                parts.setdefault(name, []).append(column)
    except aicoco.AiCOCOError as stopped:
        error = (stopped.kind, stopped.message, stopped.line, stopped.column, stopped.offset, stopped.path)
    columns = {name: np.concatenate(columns) for name, columns in parts.items()} if parts else None
    return columns, sizes, error


def _same(mine, theirs):
    assert (mine is None) == (theirs is None)
    if theirs is None:
        return
    assert mine.keys() == theirs.keys()
    for name in theirs:
        assert np.array_equal(mine[name], theirs[name], equal_nan=mine[name].dtype.kind == "f"), name


def test_a_big_file_split_among_threads_gives_what_one_thread_gives_in_order(big):
    one, one_sizes, error = _read(big, threads=1)
    assert error is None and len(one["ids"]) == aicoco.stats(big)["annotations"] > 10000
    with open(big, "rb") as file:  # an open file: read by one parser
        _same(_read(file)[0], one)
    # One parser fills every batch but the last; a split parse ends one at each stretch's end.
    full = lambda size: size[0] >= BATCH // 16 or size[1] >= BATCH
    assert all(full(size) for size in one_sizes[:-1])
    for threads in (2, 3, None):
        split, sizes, error = _read(big, threads=threads)
        assert error is None
        _same(split, one)
        if threads or len(os.sched_getaffinity(0)) >= 2:
            assert not all(full(size) for size in sizes[:-1]), threads


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_split_in_small_stretches_gives_what_one_thread_gives(path):
    one, _, one_error = _read(path, threads=1)
    split, _, split_error = _read(path, threads=2, _split_bytes=2048)
    assert split_error == one_error
    _same(split, one)


def test_a_stopped_split_is_read_again_in_order_after_the_batches_given(big, tmp_path):
    text = bytearray(big.read_bytes())
    at = len(text) * 3 // 5
    while not (text[at:at + 2].isdigit()):
        at += 1
    text[at + 1:at + 2] = b"q"  # a syntax error inside a number, in the middle of annotations
    broken = tmp_path / "broken.json"
    broken.write_bytes(bytes(text))

    split = _read(broken, threads=2)
    with open(broken, "rb") as file:
        one = _read(file)
    _same(split[0], one[0])
    assert split[2] == one[2] and split[2][0] == "syntax" and split[2][4] == at + 1
    assert len(split[0]["ids"]) > 1000


def test_progress_is_reported_during_the_catalog_only_pass(cli, tmp_path):
    path = tmp_path / "flavor-order.json"  # the images, categories and objects after the annotations
    with open(path, "wb") as out:
        subprocess.run([cli, "generate", "--bytes", "20M"], stdout=out, check=True)
    size = path.stat().st_size
    calls = []
    before_first_batch = None
    reader = aicoco.annotations(path, resolve=True, progress=lambda done, total: calls.append((done, total)))
    for batch in reader:
        if before_first_batch is None:
            before_first_batch = list(calls)
    assert reader.passes == 2
    # The first pass reads the whole file for the catalog: its progress goes up to near the size.
    assert len(before_first_batch) >= 3
    assert all(total == size for _, total in before_first_batch)
    assert max(done for done, _ in before_first_batch) >= size // 2
    assert calls[-1] == (size, size)
