"""A big file's annotations parsed among threads and handed over in file order; a stopped split
read again in order; progress during the catalog-only pass of `resolve=True`."""
import os
import subprocess

import numpy as np
import pytest

import aicoco

BATCH = 262144  # the default batch: a batch is full at BATCH numbers or BATCH // 16 annotations


@pytest.fixture(scope="module")
def big(cli, tmp_path_factory):
    """A generated noisy file above the split's 16 MiB minimum."""
    path = tmp_path_factory.mktemp("split") / "big.json"
    with open(path, "wb") as out:
        subprocess.run([cli, "generate", "--bytes", "24M", "--shape", "noisy", "--seed", "7"], stdout=out, check=True)
    return path


def _columns(source):
    """Every column of every batch, joined, and each batch's (annotations, numbers)."""
    parts = {}
    sizes = []
    start = 0
    for batch in aicoco.annotations(source):
        assert batch.start == start
        start += len(batch)
        sizes.append((len(batch), batch.coordinates.size))
        for name, column in (("coordinates", batch.coordinates), ("polygons", np.diff(batch.polygon_offsets)),
                             ("annotations", np.diff(batch.annotation_offsets)), ("bboxes", batch.bboxes.ravel()),
                             ("boxes", np.diff(batch.bbox_offsets)), ("iscrowd", batch.iscrowd),
                             ("null", batch.segmentation_null), ("ids", batch.ids),
                             ("image_ids", batch.image_ids), ("object_ids", batch.object_ids)):
            parts.setdefault(name, []).append(column)
    return {name: np.concatenate(columns) for name, columns in parts.items()}, sizes


def test_a_big_file_split_among_threads_gives_what_one_thread_gives_in_order(big):
    split, sizes = _columns(big)  # a path: split among the cores
    with open(big, "rb") as file:  # an open file: read by one parser
        one, one_sizes = _columns(file)
    assert split.keys() == one.keys()
    for name in one:
        assert np.array_equal(split[name], one[name]), name
    assert len(one["ids"]) == aicoco.stats(big)["annotations"] > 10000
    # One parser fills every batch but the last; a split parse ends one at each stretch's end.
    full = lambda size: size[0] >= BATCH // 16 or size[1] >= BATCH
    assert all(full(size) for size in one_sizes[:-1])
    if len(os.sched_getaffinity(0)) >= 2:
        assert not all(full(size) for size in sizes[:-1])


def test_a_stopped_split_is_read_again_in_order_after_the_batches_given(big, tmp_path):
    text = bytearray(big.read_bytes())
    at = len(text) * 3 // 5
    while not (text[at:at + 2].isdigit()):
        at += 1
    text[at + 1:at + 2] = b"q"  # a syntax error inside a number, in the middle of annotations
    broken = tmp_path / "broken.json"
    broken.write_bytes(bytes(text))

    def read(source):
        seen, last = 0, None
        with pytest.raises(aicoco.AiCOCOError) as caught:
            for batch in aicoco.annotations(source):
                seen += len(batch)
                last = batch.ids[-1]
        error = caught.value
        return seen, last, error.kind, error.line, error.column, error.offset, error.path

    split = read(broken)
    with open(broken, "rb") as file:
        assert read(file) == split
    assert split[2] == "syntax" and split[5] == at + 1 and split[0] > 1000


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
