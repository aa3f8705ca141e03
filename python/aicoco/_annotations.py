"""Annotations in batches of numpy arrays, handed over from the parser's buffers without a copy."""
import ctypes
from itertools import repeat

from . import _native
from ._errors import raise_error
from ._inputs import Source

_lib = _native.lib


class _Buffer:
    """Memory the library malloc'd, lent to numpy through the array interface (no copy, and no
    ctypes array type made per batch); freed when the last array over it is gone."""

    __slots__ = ("__array_interface__", "address")

    def __init__(self, address, count, typestr):
        self.address = address
        self.__array_interface__ = {"data": (address, False), "shape": (count,), "typestr": typestr, "version": 3}

    def __del__(self):
        if _free is not None:  # None only while the interpreter shuts down
            _free(self.address)


_free = _lib.aicoco_free


np = _FLOAT64 = _INT64 = _INT32 = _UINT8 = _PYTHON_API = None


def _load_numpy():
    """Imports numpy (a tenth of a second) the first time a reader starts, once its parser
    thread is already reading: `import aicoco` alone does not."""
    global np, _FLOAT64, _INT64, _INT32, _UINT8, _PYTHON_API
    if np is None:
        import numpy

        _FLOAT64, _INT64, _INT32, _UINT8 = (numpy.dtype(t) for t in (numpy.float64, numpy.int64, numpy.int32, numpy.uint8))
        _PYTHON_API = _python_api()
        np = numpy


def _python_api():
    """What aicoco_views calls: CPython's reference, capsule and builtin-function functions, and numpy's
    PyArray_NewFromDescr and PyArray_SetBaseObject (slots 94 and 282 of its C API table, the
    same since numpy 1.7); None when numpy's table is not found (slices are made instead)."""
    import importlib

    capsule = None
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):  # numpy 2, numpy 1
        try:
            capsule = getattr(importlib.import_module(name), "_ARRAY_API", None)
        except ImportError:
            continue
        if capsule is not None:
            break
    if capsule is None:
        return None
    python = ctypes.PyDLL(None, handle=ctypes.pythonapi._handle)  # its own function objects
    python.PyCapsule_GetPointer.restype = ctypes.c_void_p
    python.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    table = (ctypes.c_void_p * 283).from_address(python.PyCapsule_GetPointer(capsule, None))
    address = lambda name: ctypes.cast(getattr(python, name), ctypes.c_void_p).value
    return _native.PythonAPI(address("Py_IncRef"), address("Py_DecRef"), address("PyCapsule_New"),
                             address("PyCapsule_GetPointer"), address("PyCFunction_NewEx"), table[94], table[282])


def _address(array):
    return array.__array_interface__["data"][0]


def _adopt(address, count, dtype):
    """A numpy array of `count` items of `dtype` at `address` (malloc'd by the library), owning it."""
    if not address:
        return np.empty(0, dtype)
    if count == 0:
        _free(address)
        return np.empty(0, dtype)
    return np.asarray(_Buffer(address, count, dtype.str))


def _view(block, base, address, count, dtype):
    """`count` items of `dtype` at `address` inside `block` (the batch's columns, a uint8 array
    at address `base`): a view, which keeps the block alive."""
    start = address - base
    return block[start:start + count * dtype.itemsize].view(dtype)


def _names(block, base, raw):
    """The batch's category names, a list of str."""
    if raw.categories == 0:
        return []
    ends = _view(block, base, raw.category_name_offsets, raw.categories + 1, _INT64).tolist()
    text = _view(block, base, raw.category_names, ends[-1], _UINT8).tobytes()
    return [text[ends[i]:ends[i + 1]].decode() for i in range(raw.categories)]


def _strings(data, offsets):
    """The ids as a numpy array of str: one vectorised decode when every id has the same length
    (FLaVor's 21-character nanoids), else one decode per id."""
    count = len(offsets) - 1
    if count == 0:
        return np.empty(0, object)
    raw = data.tobytes()
    lengths = np.diff(offsets)
    width = int(lengths[0])
    if width > 0 and lengths.min() == width == lengths.max() and raw.isascii() and b"\0" not in raw:
        return np.frombuffer(raw, dtype=f"S{width}").astype(f"U{width}")
    bounds = offsets.tolist()
    return np.array([raw[bounds[i]:bounds[i + 1]].decode() for i in range(count)], object)


class AnnotationBatch:
    """Annotations `start` to `start + len(batch)` of the file, as flat numpy arrays:

    - `coordinates` (float64): every polygon's numbers, x, y, x, y...;
    - `polygon_offsets` (int64, polygons + 1): polygon p is `coordinates[polygon_offsets[p]:polygon_offsets[p + 1]]`;
    - `annotation_offsets` (int64, len + 1): annotation i has polygons `annotation_offsets[i]` to `annotation_offsets[i + 1]`;
    - `bboxes` (float64, boxes x 4: x1, y1, x2, y2) and `bbox_offsets` (int64, len + 1, in boxes);
    - `iscrowd` (int32), `segmentation_null` (bool);
    - `ids`, `image_ids`, `object_ids`: arrays of str, made when first asked for;
    - resolved by id by the parser (reader opened with `resolve=True`): `slice_index` (float64,
      the image's index, NaN when unknown), `category_codes` (int32, -1 when unknown) into
      `categories` (the distinct category names), and `category` (the name of the object's
      first category, None when unknown).
    """

    def __init__(self, raw, start, resolved):
        n = raw.count
        self.start = start
        self.count = n
        self.coordinates = _adopt(raw.coordinates, raw.values, _FLOAT64)
        # Every other column is a view into one block: one adoption a batch, not one a column.
        base = raw.columns
        block = _adopt(base, raw.columns_length, _UINT8)
        self.polygon_offsets = _view(block, base, raw.polygon_offsets, raw.polygons + 1, _INT64)
        self.annotation_offsets = _view(block, base, raw.annotation_offsets, n + 1, _INT64)
        self.bboxes = _view(block, base, raw.bboxes, raw.boxes * 4, _FLOAT64).reshape(-1, 4)
        self.bbox_offsets = _view(block, base, raw.bbox_offsets, n + 1, _INT64)
        self.iscrowd = _view(block, base, raw.iscrowd, n, _INT32)
        self.segmentation_null = _view(block, base, raw.segmentation_null, n, _UINT8).view(bool)
        self._id_data = []
        for data, offsets in ((raw.ids, raw.id_offsets), (raw.image_ids, raw.image_id_offsets),
                              (raw.object_ids, raw.object_id_offsets)):
            ends = _view(block, base, offsets, n + 1, _INT64)
            self._id_data.append((_view(block, base, data, int(ends[-1]), _UINT8), ends))
        self._ids = [None, None, None]
        self.bytes_read = raw.bytes_read
        self.total_bytes = None if raw.total_bytes < 0 else raw.total_bytes
        self._resolved_by_parser = resolved
        if resolved:
            self._slice_index = _view(block, base, raw.slice_index, n, _FLOAT64)
            self._category_codes = _view(block, base, raw.category_codes, n, _INT32)
            self.categories = _names(block, base, raw)

    def __len__(self):
        return self.count

    def _column(self, which):
        if self._ids[which] is None:
            self._ids[which] = _strings(*self._id_data[which])
        return self._ids[which]

    @property
    def ids(self):
        return self._column(0)

    @property
    def image_ids(self):
        return self._column(1)

    @property
    def object_ids(self):
        return self._column(2)

    def polygons(self, i):
        """The polygons of annotation i (0 <= i < len), each a flat view into `coordinates`."""
        first, last = self.annotation_offsets[i], self.annotation_offsets[i + 1]
        ends = self.polygon_offsets
        return [self.coordinates[ends[p]:ends[p + 1]] for p in range(first, last)]

    def annotation_coordinates(self):
        """Every annotation's numbers (x, y, x, y... of all its polygons), each a flat view into
        `coordinates`, in order: an iterator of len(batch) arrays, each made when asked for by a
        native function (the fast way to visit annotations one by one)."""
        ends = self.polygon_offsets[self.annotation_offsets]
        coordinates = self.coordinates
        if _PYTHON_API is None:
            ends = ends.tolist()
            return map(coordinates.__getitem__, map(slice, ends, ends[1:]))
        flags = 0x0501 if coordinates.flags.writeable else 0x0101  # C-contiguous, aligned (writeable)
        views = _lib.aicoco_views(_PYTHON_API, np.ndarray, coordinates.dtype, coordinates, _address(coordinates),
                                  coordinates.size, _address(ends), self.count, flags)
        return map(views, repeat(None, self.count))

    def coordinates_of(self, i):
        """Every number of annotation i's polygons, one flat view into `coordinates`."""
        ends = self.polygon_offsets
        return self.coordinates[ends[self.annotation_offsets[i]]:ends[self.annotation_offsets[i + 1]]]

    def _resolved(self):
        if not self._resolved_by_parser:
            raise ValueError("slice_index and category need the images, objects and categories: "
                             "open the reader with aicoco.annotations(..., resolve=True)")

    @property
    def slice_index(self):
        """The index of each annotation's image (float64, NaN when the image is unknown)."""
        self._resolved()
        return self._slice_index

    @property
    def category_codes(self):
        """Each annotation's category as a code into `categories` (int32, -1 when unknown)."""
        self._resolved()
        return self._category_codes

    @property
    def category(self):
        """The name of each annotation's object's first category (None when unknown)."""
        self._resolved()
        names = np.array(list(self.categories) + [None], object)
        return names[self._category_codes]  # -1 picks the None at the end

    def to_pandas(self):
        """A pandas DataFrame, one row per annotation: id, image_id, object_id, category and
        slice_index (with `resolve=True`), iscrowd, polygons, points, segmentation_null, bboxes
        (how many), bbox (the first box or None); the index is the annotation's position in the file."""
        import pandas as pd

        polygons = np.diff(self.annotation_offsets)
        numbers = np.diff(self.polygon_offsets[self.annotation_offsets])
        boxes = np.diff(self.bbox_offsets)
        first_box = [tuple(self.bboxes[start]) if count else None
                     for start, count in zip(self.bbox_offsets[:-1].tolist(), boxes.tolist())]
        columns = {"id": self.ids, "image_id": self.image_ids, "object_id": self.object_ids}
        if self._resolved_by_parser:
            category = pd.Categorical.from_codes(self._category_codes, categories=pd.Index(self.categories, dtype=object))
            columns.update(category=category, slice_index=self._slice_index)
        columns.update(iscrowd=self.iscrowd, polygons=polygons, points=numbers // 2,
                       segmentation_null=self.segmentation_null, bboxes=boxes, bbox=first_box)
        return pd.DataFrame(columns, index=pd.RangeIndex(self.start, self.start + self.count))


class AnnotationReader:
    """Iterates the annotations of one input in AnnotationBatch objects (see `annotations`).
    Holds a native parser thread and an open input: close it (or use `with`), and never pickle
    it (give workers the path)."""

    def __init__(self, source, batch=262144, *, validate=False, resolve=False, progress=None, memory_limit=0,
                 threads=None, _split_bytes=0):
        self._source_arg = source
        try:
            self._start_position = source.tell() if hasattr(source, "seek") else 0
        except (OSError, ValueError):  # a pipe
            self._start_position = 0
        self._batch = batch
        self._validate = validate
        self._memory_limit = memory_limit
        self._progress = progress
        self._resolve = resolve
        if threads is not None and int(threads) > 1 and (validate or resolve):
            raise ValueError("aicoco.annotations: validate=True and resolve=True read on one thread: "
                             "leave threads out (or give 1)")
        self._threads = 0 if threads is None else max(int(threads), 1)
        self._split_bytes = _split_bytes
        self._reader = None
        self._input = None
        #: Passes over the input so far (2 when resolving read the catalog first).
        self.passes = 0
        #: The meta record as a dict (with `resolve=True`, once read), else None.
        self.meta = None

    def __reduce__(self):
        raise TypeError("an aicoco.AnnotationReader holds a native parser thread and an open input and cannot "
                        "be pickled: send the file's path to the worker and call aicoco.annotations(path) there "
                        "(aicoco.dask does this)")

    def _open(self):
        self._input = Source(self._source_arg)
        error = ctypes.c_void_p()
        self._reader = _lib.aicoco_annotations_open(*self._input.args(), self._batch, 1 if self._validate else 0,
                                                    1 if self._resolve else 0, self._memory_limit, self._threads,
                                                    self._split_bytes, ctypes.byref(error))
        if not self._reader:
            self._input.close()
            raise_error(_native.take_string(error.value))

    def close(self):
        """Stops the parser thread and closes the input; returns at once, even when a file
        object's pipe waits for more bytes (the parser then reads the end of what was given)."""
        if self._input is not None:
            self._input.interrupt()
        if self._reader:
            _lib.aicoco_annotations_close(self._reader)
            self._reader = None
        if self._input is not None:
            input, self._input = self._input, None
            input.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _batches(self):
        """Raw batches of the reading (one pass, or two when resolving needs the catalog first)."""
        self._open()
        _load_numpy()
        self.passes = 1
        try:
            error = ctypes.c_void_p()
            while True:
                raw = _native.Batch()
                status = _lib.aicoco_annotations_next(self._reader, ctypes.byref(raw), ctypes.byref(error))
                if status < 0:
                    raise_error(_native.take_string(error.value))
                if status == 0:
                    return
                if status == 2:
                    self._read_again(error)
                    continue
                yield raw
        finally:
            self.close()

    def _read_again(self, error):
        """The annotations came before the images, objects or categories: the parser read them to
        the end (memory bounded by its spilling tables) and reads the input again for the batches."""
        if not self._can_read_again():
            raise ValueError("aicoco.annotations(resolve=True): the images, objects and categories come "
                             "after the annotations, and this input cannot be read twice: give a path")
        self._input.close()
        self._rewind()
        self._input = Source(self._source_arg)
        if _lib.aicoco_annotations_reread(self._reader, *self._input.args(), ctypes.byref(error)) < 0:
            raise_error(_native.take_string(error.value))
        self.passes += 1

    def _discard(self, raw):
        _lib.aicoco_batch_free(ctypes.byref(raw))

    def __iter__(self):
        start = 0
        for raw in self._batches():
            if raw.meta_length:
                import json  # here: `import aicoco`, before the parser starts, stays light

                self.meta = json.loads(ctypes.string_at(raw.meta, raw.meta_length))
            if self._progress is not None:
                self._progress(raw.bytes_read, None if raw.total_bytes < 0 else raw.total_bytes)
            if raw.count == 0:
                self._discard(raw)
                continue
            batch = AnnotationBatch(raw, start, self._resolve)
            start += batch.count
            yield batch

    def _can_read_again(self):
        source = self._source_arg
        if isinstance(source, (bytes, bytearray, memoryview, str)) or hasattr(source, "__fspath__"):
            return True
        return hasattr(source, "seek") and getattr(source, "seekable", lambda: False)()

    def _rewind(self):
        if hasattr(self._source_arg, "seek") and not isinstance(self._source_arg, (bytes, bytearray, memoryview)):
            self._source_arg.seek(self._start_position)


def annotations(source, batch=262144, *, validate=False, resolve=False, progress=None, memory_limit=0, threads=None,
                _split_bytes=0):
    """The annotations of `source` (a path, bytes or an open binary file) in batches of numpy
    arrays (`AnnotationBatch`), in file order, in constant memory: a batch ends after the
    annotation that brings it to `batch` coordinate numbers (2 MiB of them by default) or
    `batch // 16` annotations. The file is parsed on a native thread, up to four batches
    ahead, with the GIL free; a big file's annotations (a path, 16 MiB or more, not gzip'd, neither `validate`
    nor `resolve`) among `threads` threads (None: the cores this process may use; 1: one),
    the annotations still in file order (a batch may then end early, at a stretch's end);
    `validate` and `resolve` read on one thread (more `threads` with them is a ValueError).

    With `resolve=True`, the parser resolves each annotation's `slice_index` and category
    (`category_codes` into `categories`, `category`) by id through the images, objects and
    categories, held in its spilling tables (within `memory_limit`, then on disk: memory stays
    bounded whatever their number), and the reader's `meta` is the meta record. It takes one
    pass when the images, categories and objects come before the annotations, else a first pass
    for them and a second for the batches (FLaVor writes them after: a path, bytes or a
    seekable file). `validate`
    checks the schema's rules and references too (the first problem raises AiCOCOError).
    `progress(bytes_read, total_or_None)` is called before each batch."""
    return AnnotationReader(source, batch, validate=validate, resolve=resolve, progress=progress,
                            memory_limit=memory_limit, threads=threads, _split_bytes=_split_bytes)
