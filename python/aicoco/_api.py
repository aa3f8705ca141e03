"""stats, validate and records: one call into the engine each (the GIL free while it parses)."""
import ctypes

from . import _native
from ._errors import Report, raise_error
from ._inputs import Progress, Source

_lib = _native.lib


def _call(function, progress, *args):
    """Calls a C function taking `progress` (a Progress) last but for its context and error,
    returning malloc'd JSON text (or NULL and an error); the parsed JSON. What `progress` raised
    is raised again."""
    import json  # here, not at import: `import aicoco` for annotations alone stays light

    error = ctypes.c_void_p()
    result = function(*args, progress.c, None, ctypes.byref(error))
    if progress.failure is not None:
        _lib.aicoco_free(result)
        _lib.aicoco_free(error.value)
        progress.raise_failure()
    if not result:
        raise_error(_native.take_string(error.value))
    return json.loads(_native.take_string(result))


def stats(source, *, progress=None, memory_limit=0):
    """What `aicoco stats --json` gives for `source` (a path, bytes or an open binary file), as a
    dict: images, annotations, categories, regressions, objects, polygons, points, bboxes, bytes,
    elapsed_seconds, mb_per_second, objects_per_category, meta, annotated_images (tables,
    tabular_records and window_size for tabular outputs). One pass, constant memory.
    `progress(bytes_read, total_or_None)` is called every 4 MiB (what it raises stops the reading
    and is raised). Raises AiCOCOError when the input cannot be read or is not AiCOCO."""
    with Source(source) as input:
        return _call(_lib.aicoco_stats, Progress(progress), *input.args(), memory_limit)


def validate(source, *, strict=False, max_errors=100, progress=None, memory_limit=0, name=None):
    """Checks `source` as `aicoco validate` does (syntax, schema, the format's rules, every
    reference) and returns a Report: `.valid`, `.problems` (kind, message, line, column, offset,
    path, file), `.error_count`. An invalid file is a report, never an exception; AiCOCOError
    only when the input cannot be read. `strict=True` adds the rules of FLaVor's own output
    models, as `aicoco validate --strict`."""
    with Source(source) as input:
        label = (name or input.name).encode()
        value = _call(_lib.aicoco_validate, Progress(progress), *input.args(), label, max_errors, 1 if strict else 0,
                      memory_limit)
        return Report.from_json(value)


def records(source, sections=None, *, progress=None, memory_limit=0):
    """The records of `source` as `json.load` would give them, record by record, in file order,
    in constant memory (the document is validated as it is read).

    `records(path, "annotations")` yields the dicts of one section; `records(path)` or
    `records(path, ["images", "objects"])` yields `(section, dict)` pairs. Stops with
    AiCOCOError at the first problem, after the records before it (as `aicoco records`).
    `progress(bytes_read, total_or_None)` is called as the input is read (what it raises stops
    the reading and is raised)."""
    single = isinstance(sections, str)
    names = [sections] if single else list(sections or [])
    with Source(source) as input:
        error = ctypes.c_void_p()
        callback = Progress(progress)
        reader = _lib.aicoco_records_open(*input.args(), ",".join(names).encode(), 0 if single else 1,
                                          memory_limit, callback.c, None, ctypes.byref(error))
        if not reader:
            raise_error(_native.take_string(error.value))
        import json

        try:
            lines = ctypes.c_void_p()
            length = ctypes.c_int64()
            while True:
                status = _lib.aicoco_records_next(reader, ctypes.byref(lines), ctypes.byref(length),
                                                  ctypes.byref(error))
                if callback.failure is not None:
                    _lib.aicoco_free(lines.value if status > 0 else error.value)
                    callback.raise_failure()
                if status < 0:
                    raise_error(_native.take_string(error.value))
                if status == 0:
                    return
                try:
                    text = ctypes.string_at(lines.value, length.value)
                finally:
                    _lib.aicoco_free(lines.value)
                for line in text.splitlines():
                    value = json.loads(line)
                    yield value if single else (value["section"], value["record"])
        finally:
            _lib.aicoco_records_close(reader)
