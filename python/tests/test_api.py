"""The Python API on its own: inputs, annotations against records, errors, progress, pickling,
the GIL."""
import gzip
import io
import pickle
import subprocess
import threading
import time

import numpy as np
import pytest

import aicoco
from conftest import FIXTURES, ROOT, fixture_files, run

SERIES = FIXTURES / "segmentation-series.json"
VALID = [p for p in fixture_files() if "broken" not in p.parts and "hostile" not in p.parts
         and aicoco.validate(p).valid]


def test_paths_bytes_and_open_files_give_the_same_stats():
    by_path = aicoco.stats(SERIES)
    with open(SERIES, "rb") as file:
        by_file = aicoco.stats(file)
    by_bytes = aicoco.stats(SERIES.read_bytes())
    by_buffer = aicoco.stats(io.BytesIO(SERIES.read_bytes()))
    by_gzip_file = aicoco.stats(gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(SERIES.read_bytes()))))
    for stats in (by_path, by_file, by_bytes, by_buffer, by_gzip_file):
        for key in ("elapsed_seconds", "mb_per_second"):
            stats.pop(key)
    assert by_path == by_file == by_bytes == by_buffer == by_gzip_file
    assert by_path["annotations"] == 15 and by_path["points"] == 204


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_annotations_hold_every_coordinate_of_the_records(path):
    expected = [record for section, record in aicoco.records(path) if section == "annotations"]
    got = []
    for batch in aicoco.annotations(path, batch=37):
        assert batch.polygon_offsets[0] == 0 and batch.polygon_offsets[-1] == len(batch.coordinates)
        assert len(batch.annotation_offsets) == len(batch) + 1
        for i in range(len(batch)):
            boxes = batch.bboxes[batch.bbox_offsets[i]:batch.bbox_offsets[i + 1]]
            got.append({
                "id": batch.ids[i], "image_id": batch.image_ids[i], "object_id": batch.object_ids[i],
                "iscrowd": int(batch.iscrowd[i]),
                "segmentation": None if batch.segmentation_null[i] else [p.tolist() for p in batch.polygons(i)],
                "bbox": [b.tolist() for b in boxes],
            })
    assert len(got) == len(expected)
    for mine, record in zip(got, expected):
        assert mine["id"] == record["id"] and mine["image_id"] == record["image_id"]
        assert mine["object_id"] == record["object_id"] and mine["iscrowd"] == record["iscrowd"]
        # The batches hold float64; `records` writes the numbers as the file did (an integer
        # beyond 2**53 stays an integer there), so compare the values as doubles.
        assert mine["segmentation"] == as_doubles(record["segmentation"])
        assert mine["bbox"] == as_doubles(record["bbox"] or [])


def as_doubles(lists):
    """Each number of a list of lists as a Python float (None stays None)."""
    return None if lists is None else [[float(value) for value in items] for items in lists]


def test_slice_index_and_category_are_resolved_by_id_in_flavor_order():
    path = FIXTURES / "flavor" / "flavor-seg3d-smooth.json"
    images = {r["id"]: r["index"] for r in aicoco.records(path, "images")}
    objects = {r["id"]: r["category_ids"] for r in aicoco.records(path, "objects")}
    names = {r["id"]: r["name"] for r in aicoco.records(path, "categories")}
    frames = [batch.to_pandas() for batch in aicoco.annotations(path, batch=500, resolve=True)]
    import pandas as pd
    frame = pd.concat(frames)
    assert len(frame) == aicoco.stats(path)["annotations"] > 0
    assert list(frame.index) == list(range(len(frame)))
    assert frame["slice_index"].tolist() == [images[i] for i in frame["image_id"]]
    assert frame["category"].tolist() == [names[objects[o][0]] for o in frame["object_id"]]


def test_resolving_takes_one_pass_when_the_catalog_comes_first(cli, tmp_path):
    import subprocess
    first = tmp_path / "catalog-first.json"
    with open(first, "wb") as out:
        subprocess.run([cli, "generate", "--bytes", "300K", "--order",
                        "images,categories,regressions,objects,annotations,meta"], stdout=out, check=True)
    last = tmp_path / "catalog-last.json"
    with open(last, "wb") as out:
        subprocess.run([cli, "generate", "--bytes", "300K"], stdout=out, check=True)
    for path, passes in ((first, 1), (last, 2)):
        images = {r["id"]: r["index"] for r in aicoco.records(path, "images")}
        reader = aicoco.annotations(path, batch=1000, resolve=True)
        indexes = [index for batch in reader for index in batch.slice_index.tolist()]
        assert reader.passes == passes
        assert indexes == [images[r["image_id"]] for r in aicoco.records(path, "annotations")]
        with open(path, "rb") as file:  # a seekable file is read again from where it was
            assert [i for b in aicoco.annotations(file, batch=1000, resolve=True) for i in b.slice_index.tolist()] == indexes
    with open(last, "rb") as file, pytest.raises(ValueError, match="cannot be read twice"):
        unseekable = io.BufferedReader(io.BytesIO(file.read()))
        unseekable.seekable = lambda: False
        list(aicoco.annotations(unseekable, batch=1000, resolve=True))
    with pytest.raises(ValueError, match="resolve=True"):
        next(iter(aicoco.annotations(first))).slice_index


def _resolved(reader):
    """(image id, object id, slice index, category) of every annotation the reader gives."""
    rows = []
    for batch in reader:
        rows += zip(batch.image_ids.tolist(), batch.object_ids.tolist(), batch.slice_index.tolist(),
                    batch.category.tolist())
    return rows


def _expected(path):
    """The same, by json.load and dicts (the file may be invalid: records() would stop)."""
    import json
    with open(path, "rb") as file:
        document = json.load(file)
    images = {r["id"]: r["index"] for r in document["images"]}
    objects = {r["id"]: r["category_ids"] for r in document["objects"]}
    names = {}
    for r in document["categories"]:
        names.setdefault(r["id"], r["name"])
    rows = []
    for r in document["annotations"]:
        categories = objects.get(r["object_id"])
        rows.append((r["image_id"], r["object_id"], images.get(r["image_id"], float("nan")),
                     names.get(categories[0]) if categories else None))
    return rows


def _same(rows, expected):
    """Equal rows, NaN equal to NaN."""
    assert len(rows) == len(expected)
    for mine, theirs in zip(rows, expected):
        assert mine[:2] == theirs[:2] and mine[3] == theirs[3], (mine, theirs)
        assert mine[2] == theirs[2] or (mine[2] != mine[2] and theirs[2] != theirs[2]), (mine, theirs)


def test_the_parser_resolves_into_codes_and_arrays(cli, tmp_path):
    path = tmp_path / "many.json"
    with open(path, "wb") as out:
        subprocess.run([cli, "generate", "--bytes", "2M", "--shape", "noisy"], stdout=out, check=True)
    reader = aicoco.annotations(path, batch=4096, resolve=True)
    batches = list(reader)
    assert reader.passes == 2 and len(batches) > 3
    for batch in batches:
        assert batch.slice_index.dtype == np.float64 and batch.category_codes.dtype == np.int32
        assert len(batch.slice_index) == len(batch.category_codes) == len(batch)
        assert len(set(batch.categories)) == len(batch.categories) > 0
        assert batch.category.tolist() == [batch.categories[c] if c >= 0 else None for c in batch.category_codes]
        frame = batch.to_pandas()
        assert str(frame["category"].dtype) == "category"
        assert list(frame["category"].cat.categories) == batch.categories
    assert reader.meta == next(iter(aicoco.records(path, "meta")))
    rows = _resolved(aicoco.annotations(path, batch=4096, resolve=True))
    _same(rows, _expected(path))
    # The smallest memory limit spills the images' and objects' tables to disk: the same answers.
    _same(_resolved(aicoco.annotations(path, batch=4096, resolve=True, memory_limit=16384)), rows)


def test_unknown_images_and_objects_resolve_to_nan_and_none():
    for name in ("reference-dangling-image-id.json", "reference-dangling-object-id.json"):
        path = FIXTURES / "broken" / name
        rows = _resolved(aicoco.annotations(path, resolve=True))
        _same(rows, _expected(path))
        assert any(row[2] != row[2] or row[3] is None for row in rows)


def test_an_unreadable_file_raises_with_the_fields():
    with pytest.raises(aicoco.AiCOCOError) as caught:
        aicoco.stats(ROOT / "no-such-file.json")
    assert caught.value.kind == "io" and "no-such-file.json" in caught.value.message
    with pytest.raises(aicoco.AiCOCOError):
        list(aicoco.annotations(ROOT / "no-such-file.json"))


def test_a_broken_file_is_a_report_for_validate_and_an_error_that_places_it_for_the_readers():
    path = FIXTURES / "broken" / "reference-dangling-image-id.json"
    report = aicoco.validate(path)
    assert not report.valid and not report
    problem = report.problems[0]
    assert (problem.kind, problem.line, problem.column, problem.path) == ("reference", 24, 19, "$.annotations[1].image_id")
    with pytest.raises(aicoco.AiCOCOError) as caught:
        for _ in aicoco.annotations(path, validate=True):
            pass
    assert (caught.value.kind, caught.value.line, caught.value.column, caught.value.offset, caught.value.path) == \
        (problem.kind, problem.line, problem.column, problem.offset, problem.path)
    assert pickle.loads(pickle.dumps(caught.value)).path == problem.path


def test_a_syntax_error_comes_after_the_batches_before_it():
    text = SERIES.read_bytes()
    cut = text[: text.index(b'"categories"')] + b"]"
    seen = 0
    with pytest.raises(aicoco.AiCOCOError) as caught:
        for batch in aicoco.annotations(cut, batch=1):
            seen += len(batch)
    assert caught.value.kind == "syntax" and seen == 15


def test_strict_equals_the_command_on_every_strict_fixture(cli):
    """`validate(strict=True)` is `aicoco validate --strict`: the same verdict and problems on the
    mutations of FLaVor's samples whose verdicts were recorded from FLaVor's own models."""
    import json
    files = sorted((ROOT / "Fixtures" / "strict").glob("*.json"))
    assert len(files) >= 40
    refused = 0
    for path in files:
        report = aicoco.validate(path, strict=True)
        shown = json.loads(run(cli, "validate", "--strict", "--format", "json", path).stdout)
        assert report.valid == shown["valid"], path
        assert [(p.kind, p.line, p.column, p.path) for p in report.problems] == \
            [(e["kind"], e["line"], e["column"], e["path"]) for e in shown["errors"]], path
        refused += any(p.kind == "strict" for p in report.problems)
    assert refused >= 10
    assert aicoco.validate(SERIES, strict=True).valid


def test_progress_is_called_up_to_the_size(cli, tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as out:
        import subprocess
        subprocess.run([cli, "generate", "--bytes", "9M"], stdout=out, check=True)
    calls = []
    aicoco.stats(path, progress=lambda done, total: calls.append((done, total)))
    size = path.stat().st_size
    assert len(calls) >= 2 and calls[-1] == (size, size)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))
    batches = []
    for batch in aicoco.annotations(path, progress=lambda done, total: batches.append((done, total))):
        pass
    assert batches[-1] == (size, size) and len(batches) > 2
    lines = []
    count = 0
    for _ in aicoco.records(path, progress=lambda done, total: lines.append((done, total, count))):
        count += 1
    assert lines[-1][:2] == (size, size) and len(lines) >= 2
    assert all(a[0] <= b[0] for a, b in zip(lines, lines[1:]))
    assert lines[0][2] < count  # called as the reading goes, not only at the end


def test_the_gil_is_free_while_the_engine_parses(cli, tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as out:
        import subprocess
        subprocess.run([cli, "generate", "--bytes", "20M"], stdout=out, check=True)
    counts = []
    done = threading.Event()

    def count():
        n = 0
        while not done.is_set():
            n += 1
            if n % 1000 == 0:
                counts.append((time.perf_counter(), n))

    thread = threading.Thread(target=count)
    thread.start()
    time.sleep(0.05)
    start = time.perf_counter()
    aicoco.stats(path)
    end = time.perf_counter()
    done.set()
    thread.join()
    during = [n for t, n in counts if start < t < end]
    # A held GIL would stop the counting thread for the whole call (a C call is never
    # interrupted for a thread switch); free, it counts on, by the hundred thousand.
    assert during and during[-1] - during[0] > 10_000, (len(during), end - start)


def test_a_reader_refuses_pickling_with_a_clear_message():
    reader = aicoco.annotations(SERIES)
    with pytest.raises(TypeError, match="send the file's path"):
        pickle.dumps(reader)


def test_stopping_early_frees_the_reader_and_the_pipe():
    for _ in range(20):
        with open(SERIES, "rb") as file:
            with aicoco.annotations(file, batch=1) as reader:
                first = next(iter(reader))
                assert len(first) == 1
        records = aicoco.records(SERIES)
        next(records)
        records.close()
    assert threading.active_count() < 5


def test_arrays_outlive_the_batch_and_the_reader():
    arrays = []
    for batch in aicoco.annotations(SERIES, batch=20):
        arrays.append(batch.coordinates[2:])
    del batch
    total = sum(len(a) for a in arrays) + 2 * len(arrays)
    assert total == 2 * aicoco.stats(SERIES)["points"]
    assert np.isfinite(np.concatenate(arrays)).all()
