"""Bugs found by the review helper (2026-12-02), fixed: the batch before an error held part of
the failing annotation; an exception raised by progress() was swallowed by ctypes."""
import json
import subprocess

import pytest

import aicoco
from conftest import FIXTURES, ROOT


def _series():
    return json.loads((FIXTURES / "segmentation-series.json").read_text())


def _compact(document):
    return json.dumps(document, separators=(",", ":")).encode()


def _cut_in_sixth_annotation():
    """The series compact, cut inside the sixth annotation's first polygon (after its bbox)."""
    document = _series()
    document["annotations"][5]["bbox"] = [[331, 213, 391, 289]]
    text = _compact(document)
    start = text.index(b'"id":"' + document["annotations"][5]["id"].encode())
    cut = text.index(b'"segmentation":[[', start) + len(b'"segmentation":[[') + 12
    return text[:cut]


def _fourth_annotation_without_bbox():
    """The series compact, its fourth annotation (two polygons) without its required "bbox"."""
    document = _series()
    annotation = document["annotations"][3]
    del annotation["bbox"]
    return _compact(document)


def _columns_hold_only_the_batch(batch):
    """Every flat column ends where the batch's last annotation ends."""
    polygons = int(batch.annotation_offsets[-1])
    return (len(batch.polygon_offsets) == polygons + 1
            and len(batch.coordinates) == int(batch.polygon_offsets[-1])
            and batch.bboxes.shape[0] == int(batch.bbox_offsets[-1]))


@pytest.mark.parametrize("options", [dict(threads=1), dict(validate=True), dict(threads=2, _split_bytes=2048)])
@pytest.mark.parametrize("make", [_cut_in_sixth_annotation, _fourth_annotation_without_bbox])
def test_the_batch_before_an_error_holds_no_part_of_the_failing_annotation(make, options):
    batches = []
    with pytest.raises(aicoco.AiCOCOError):
        for batch in aicoco.annotations(make(), batch=64, **options):
            batches.append(batch)
    assert batches
    assert all(_columns_hold_only_the_batch(batch) for batch in batches)
    # The annotations before the failing one, each whole.
    good = _series()["annotations"][:5 if make is _cut_in_sixth_annotation else 3]
    assert [id for batch in batches for id in batch.ids] == [annotation["id"] for annotation in good]
    assert sum(batch.bboxes.shape[0] for batch in batches) == sum(len(a["bbox"] or []) for a in good)


def _read(call, source, progress):
    if call == "records":
        return list(aicoco.records(source, progress=progress))
    if call == "annotations":
        return list(aicoco.annotations(source, progress=progress))
    return getattr(aicoco, call)(source, progress=progress)


CALLS = ["stats", "validate", "records", "annotations"]


@pytest.mark.parametrize("call", CALLS)
def test_an_exception_in_progress_stops_the_reading_and_is_raised(call):
    calls = []
    failure = KeyboardInterrupt()  # what Ctrl-C in a callback, or a cancel button, raises

    def progress(done, total):
        calls.append(done)
        raise failure

    path = FIXTURES / "flavor" / "flavor-seg3d-noisy.json"
    with pytest.raises(KeyboardInterrupt) as raised:
        _read(call, path, progress)
    assert raised.value is failure
    assert len(calls) == 1


@pytest.fixture(scope="module")
def twelve_megabytes(tmp_path_factory, cli):
    path = tmp_path_factory.mktemp("progress") / "noisy-12M.json"
    with open(path, "wb") as out:
        subprocess.run([cli, "generate", "--bytes", "12M", "--shape", "noisy", "--seed", "3"], stdout=out, check=True,
                       cwd=ROOT)
    return path


@pytest.mark.parametrize("call", CALLS)
def test_an_exception_in_progress_stops_the_reading_at_once(call, twelve_megabytes):
    calls = []

    def progress(done, total):
        calls.append((done, total))
        raise ValueError("cancelled")

    with pytest.raises(ValueError, match="^cancelled$"):
        _read(call, twelve_megabytes, progress)
    # One call, before half of the input: the reading went no further.
    [(done, total)] = calls
    assert total == twelve_megabytes.stat().st_size and 0 < done < total // 2
    # The next reading is not troubled by the one stopped.
    assert aicoco.stats(twelve_megabytes)["bytes"] == total
