"""Issue 21's second round: file objects read as their bytes come (`read1`), readers that close at
once while a pipe's writer stays open, progress that never goes back, `threads` with
`validate`/`resolve`, and batches whose coordinate buffers are lent again once freed."""
import os
import subprocess
import threading
import time

import numpy as np
import pytest

import aicoco
from conftest import FIXTURES

SERIES = FIXTURES / "segmentation-series.json"


class Writer:
    """A pipe whose writer sends `data` and stays open until `finish()` (or 30 s): what a
    producer still computing looks like. `file` is the read end as a buffered binary file."""

    def __init__(self, data):
        read_end, self._write_end = os.pipe()
        self.file = os.fdopen(read_end, "rb")
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._write, args=(data,), daemon=True)
        self._thread.start()

    def _write(self, data):
        try:
            with os.fdopen(self._write_end, "wb") as out:
                out.write(data)
                out.flush()
                self._done.wait(30)
        except OSError:
            pass

    def finish(self):
        self._done.set()
        self._thread.join(5)
        self.file.close()


def in_time(function, seconds):
    """function()'s value, or AssertionError when it takes more than `seconds` (run on a thread)."""
    result = {}

    def call():
        try:
            result["value"] = function()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            result["error"] = error

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"took more than {seconds} s"
    if "error" in result:
        raise result["error"]
    return result["value"]


@pytest.fixture(scope="module")
def generated(cli, tmp_path_factory):
    path = tmp_path_factory.mktemp("objects") / "noisy.json"
    with open(path, "wb") as out:
        subprocess.run([cli, "generate", "--bytes", "3M", "--shape", "noisy", "--seed", "5"], stdout=out, check=True)
    return path


def test_a_pipe_is_read_as_its_bytes_come_not_a_mebibyte_at_a_time(generated):
    # The first 300 KB of a document, the writer still open: with `read` the pump would wait
    # for a whole MiB (or the end); with `read1` the parser gets them now and gives records.
    text = generated.read_bytes()
    writer = Writer(text[:300_000])
    try:
        records = aicoco.records(writer.file, "annotations")
        first = in_time(lambda: next(records), 10)
        assert first["id"] and first["segmentation"]
        in_time(records.close, 1)
    finally:
        writer.finish()


def test_an_annotations_reader_closes_at_once_while_the_pipe_waits(generated):
    text = generated.read_bytes()
    writer = Writer(text[:len(text) // 2])
    try:
        reader = aicoco.annotations(writer.file, batch=4096)
        batches = iter(reader)
        batch = in_time(lambda: next(batches), 10)
        assert len(batch) > 0
        # The parser thread is now waiting on the pipe for bytes that do not come.
        time.sleep(0.2)
        started = time.monotonic()
        in_time(reader.close, 1)
        assert time.monotonic() - started < 1
        in_time(batches.close, 1)
        assert batch.coordinates.size > 0  # the batch taken stays readable
    finally:
        writer.finish()


def test_stats_of_a_pipe_closed_early_by_a_syntax_error_returns(generated):
    # The parser stops at a syntax error while the writer is still open: stats returns, raising.
    writer = Writer(b'{"images": [}' + b" " * 1000)
    try:
        with pytest.raises(aicoco.AiCOCOError) as error:
            in_time(lambda: aicoco.stats(writer.file), 2)
        assert error.value.kind == "syntax"
    finally:
        writer.finish()


def test_a_file_object_without_read1_is_read_with_read(generated):
    class OnlyRead:
        def __init__(self, data):
            self.data, self.at, self.sizes = data, 0, []

        def read(self, size):
            self.sizes.append(size)
            chunk = self.data[self.at:self.at + 65536]  # less than asked: a short read is fine
            self.at += len(chunk)
            return chunk

    source = OnlyRead(generated.read_bytes())
    expected = aicoco.stats(generated)
    got = aicoco.stats(source)
    assert got["annotations"] == expected["annotations"] > 1000 and got["points"] == expected["points"]
    assert len(source.sizes) > 10


def test_progress_never_goes_back_when_a_stopped_split_is_read_again(generated, tmp_path):
    text = bytearray(generated.read_bytes())
    at = len(text) * 3 // 5
    while not text[at:at + 2].isdigit():
        at += 1
    text[at + 1:at + 2] = b"q"  # a syntax error inside a number, in the middle of the annotations
    broken = tmp_path / "broken.json"
    broken.write_bytes(bytes(text))
    for _ in range(5):  # where the split stops depends on its threads' timing
        calls = []
        annotations = 0
        with pytest.raises(aicoco.AiCOCOError):
            for batch in aicoco.annotations(broken, threads=2, _split_bytes=16384,
                                            progress=lambda done, total: calls.append(done)):
                annotations += len(batch)
        assert len(calls) > 20 and annotations > 1000
        assert all(a <= b for a, b in zip(calls, calls[1:])), calls
        assert calls[-1] > len(text) // 2


@pytest.mark.parametrize("option", ["validate", "resolve"])
def test_threads_with_validate_or_resolve_is_refused_clearly(option):
    with pytest.raises(ValueError, match="one thread"):
        aicoco.annotations(SERIES, threads=2, **{option: True})
    # One thread, or the default, reads as before.
    for threads in (None, 1):
        reader = aicoco.annotations(SERIES, threads=threads, **{option: True})
        assert sum(len(batch) for batch in reader) == 15


def test_batches_kept_hold_their_numbers_while_the_others_are_freed_and_lent_again(generated):
    # Freed batches' coordinate buffers are lent again for later batches: the ones kept must
    # never be among them.
    expected = np.concatenate([batch.coordinates.copy() for batch in aicoco.annotations(generated, threads=1)])
    for threads in (1, 2):
        kept, copies, numbers = [], [], 0
        for index, batch in enumerate(aicoco.annotations(generated, batch=8192, threads=threads,
                                                         _split_bytes=65536)):
            assert np.array_equal(batch.coordinates, expected[numbers:numbers + batch.coordinates.size])
            numbers += batch.coordinates.size
            if index % 3 == 0:
                kept.append(batch.coordinates)
                copies.append(batch.coordinates.copy())
        assert numbers == expected.size and len(kept) > 10
        for array, copy in zip(kept, copies):
            assert np.array_equal(array, copy)
